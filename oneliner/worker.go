package oneliner

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/valyala/fastjson"
	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/exitcode"
	"github.com/streamctl/streamctl/lua"
	"github.com/streamctl/streamctl/value"
)

// pipeWorker is one Lua state of a pipe with its compiled functions and
// environment. It is used by one goroutine at a time.
type pipeWorker struct {
	p   *Program
	s   *lua.State
	L   *glua.LState
	env *glua.LTable // the functions' environment: fields, then globals

	fn         *glua.LFunction // per-record function
	begin, end *glua.LFunction // nil when not given
	// eval is the function process calls first: fn, or the function of
	// pipePrograms.fast until it raised fastRetries comparison errors.
	eval    *glua.LFunction
	retries int

	names   []string // globals the code reads, bound per record
	keys    []string // keys[i]: the record field names[i] reads
	bound   []bool   // names[i] holds a field of the previous record
	allKeys []string // needAll: fields bound for the previous record
	// param[i] is the parameter names[i] is passed as, -1 for a global
	// (params.go); args are the parameters of the current record,
	// fallback[j] what args[j] is when the record lacks the field.
	param    []int
	args     []glua.LValue
	fallback []glua.LValue

	nret      int      // results of fn: 1, or len(tableKeys)
	tableKeys []string // fn returns the values of a table with these keys
	quoted    [][]byte // `"key":` for each of tableKeys

	scan   codec.JSONScanner // checks JSON lines, finds their fields
	parser fastjson.Parser
	whole  reusedRecord // `_` when pipePrograms.reuseRecord (record.go)
	res    *pipeResult  // result being filled, for print and emit

	// The record being evaluated.
	raw    []byte // its input bytes, without the line end
	open   bool   // raw ended the input without a "\n"
	pos    int64  // its position (line or record number)
	rec    any    // inGeneric: its decoded value
	inRec  bool   // a record is being evaluated (not begin/end)
	jsonIn codec.Codec
}

func newPipeWorker(p *Program) (*pipeWorker, error) {
	s, err := lua.NewStandaloneState(nil)
	if err != nil {
		return nil, err
	}
	if err := s.OpenModules(p.opts.Modules); err != nil {
		s.Close()
		return nil, err
	}
	L := s.L
	w := &pipeWorker{p: p, s: s, L: L, names: p.progs.names, keys: p.progs.fieldKeys, bound: make([]bool, len(p.progs.names))}
	w.jsonIn, _ = codec.Lookup("json")
	G := L.G.Global
	G.RawSetString("print", L.NewFunction(w.luaPrint))
	G.RawSetString("emit", L.NewFunction(w.luaEmit))
	if io, ok := G.RawGetString("io").(*glua.LTable); ok {
		io.RawSetString("write", L.NewFunction(w.luaWrite))
	}
	w.env = L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", G)
	mt.RawSetString("__newindex", G)
	w.env.Metatable = mt
	w.env.RawSetString("_G", w.env)

	exprProto, fastProto := p.progs.expr, p.progs.fast
	if p.inKind == inJSON {
		if !p.paramsPlanned {
			p.params, p.paramsPlanned = p.progs.planParams(), true
		}
		if pc := p.params; pc != nil {
			exprProto, fastProto = pc.expr, pc.fast
			w.args = make([]glua.LValue, len(pc.params))
			w.fallback = make([]glua.LValue, len(pc.params))
			for j, name := range pc.params {
				w.fallback[j] = G.RawGetString(name)
				w.args[j] = w.fallback[j]
			}
			for _, name := range w.names {
				w.param = append(w.param, slices.Index(pc.params, name))
			}
		}
	}
	fn, err := w.instantiate(exprProto)
	if err != nil {
		w.close()
		return nil, err
	}
	w.fn, w.eval, w.nret = fn, fn, 1
	if fastProto != nil {
		if w.eval, err = w.instantiate(fastProto); err != nil {
			w.close()
			return nil, err
		}
	}
	if keys := p.progs.tableKeys; keys != nil {
		w.tableKeys, w.nret = keys, len(keys)
		for _, k := range keys {
			q := codec.AppendString(nil, k)
			w.quoted = append(w.quoted, append(q, ':'))
		}
	}
	if p.progs.begin != nil {
		w.begin = L.NewFunctionFromProto(p.progs.begin)
		w.begin.Env = w.env
	}
	if p.progs.end != nil {
		w.end = L.NewFunctionFromProto(p.progs.end)
		w.end.Env = w.env
	}
	return w, nil
}

// instantiate runs the outer chunk of a compiled expression, which returns
// the per-record function, in the worker's environment.
func (w *pipeWorker) instantiate(proto *glua.FunctionProto) (*glua.LFunction, error) {
	L := w.L
	outer := L.NewFunctionFromProto(proto)
	outer.Env = w.env
	L.Push(outer)
	if err := L.PCall(0, 1, nil); err != nil {
		return nil, luaCallError(w.s, err, "")
	}
	fn, ok := L.Get(-1).(*glua.LFunction)
	L.Pop(1)
	if !ok {
		return nil, errors.New("pipe: compiled expression did not return a function")
	}
	return fn, nil
}

func (w *pipeWorker) close() { w.s.Close() }

// fastRetries is how many records the expression without nil-safe
// comparisons may fail on, each then evaluated again with them, before a
// worker uses only the nil-safe one: a failed call costs microseconds, so a
// field missing from most records must not be paid for on each.
const fastRetries = 64

// isCompareError reports whether err is Lua's "attempt to compare nil with
// number" (or any other ordering comparison error).
func isCompareError(err error) bool {
	var ae *glua.ApiError
	if !errors.As(err, &ae) {
		return false
	}
	msg, ok := ae.Object.(glua.LString)
	return ok && strings.Contains(string(msg), "attempt to compare ")
}

// runOnce runs a begin or end chunk (nil: nothing) and returns its output.
func (w *pipeWorker) runOnce(fn *glua.LFunction, name string) *pipeResult {
	r := &pipeResult{}
	if fn == nil {
		return r
	}
	w.res, w.inRec = r, false
	w.L.Push(fn)
	if err := w.L.PCall(0, 0, nil); err != nil {
		r.err = luaCallError(w.s, err, "")
	}
	w.res = nil
	return r
}

// process evaluates the records of c into r. It stops at the first error,
// which it stores in r.err after the output of the records before it.
func (w *pipeWorker) process(c *pipeChunk, r *pipeResult) {
	r.seq, r.flush = c.seq, c.flush
	w.res, w.inRec = r, true
	L := w.L
	for i, line := range c.lines {
		w.raw, w.open = line, c.open && i == len(c.lines)-1
		w.pos = c.pos(i)
		var err error
		switch w.p.inKind {
		case inText:
			if w.p.progs.needRecord {
				w.env.RawSetString("_", glua.LString(line))
			}
		case inJSON:
			if isBlankLine(line) {
				continue
			}
			err = w.bindJSON(line)
		case inGeneric:
			w.rec = c.vals[i]
			w.bindValue(w.rec)
		}
		if err != nil {
			r.err = &connectors.BadInputError{Source: w.p.source, Pos: c.pos(i), Err: err}
			break
		}
		L.Push(w.eval)
		for _, a := range w.args {
			L.Push(a)
		}
		if err := L.PCall(len(w.args), w.nret, nil); err != nil {
			if w.eval == w.fn || !isCompareError(err) {
				r.err = luaCallError(w.s, err, w.where(c.pos(i)))
				break
			}
			// The expression without nil-safe comparisons compared nil:
			// it has no effect but its result, so evaluate it again.
			if w.retries++; w.retries == fastRetries {
				w.eval = w.fn
			}
			L.Push(w.fn)
			for _, a := range w.args {
				L.Push(a)
			}
			if err := L.PCall(len(w.args), w.nret, nil); err != nil {
				r.err = luaCallError(w.s, err, w.where(c.pos(i)))
				break
			}
		}
		var err2 error
		if w.tableKeys != nil {
			err2 = w.writeFields()
		} else {
			err2 = w.write(L.Get(-1))
			L.Pop(1)
		}
		if err := err2; err != nil {
			r.err = &exitcode.Error{Code: exitcode.Runtime, Err: fmt.Errorf("expr: %w (record %s)", err, w.where(c.pos(i)))}
			break
		}
	}
	if r.err == nil {
		r.err = c.err
	}
	w.res, w.inRec, w.raw, w.open, w.rec, w.pos = nil, false, nil, false, nil, 0
}

func (w *pipeWorker) where(pos int64) string {
	return w.p.source + ":" + strconv.FormatInt(pos, 10)
}

// bindJSON checks a JSON line and binds `_` and the fields the code reads.
// The scanner checks the whole line strictly; code that reads only some
// fields (or none: `true`) converts just those values, and only code that
// needs the whole record has fastjson parse all of it.
func (w *pipeWorker) bindJSON(line []byte) error {
	w.s.BeginRecord()
	if err := w.scan.Scan(line); err != nil {
		return err
	}
	pp := &w.p.progs
	if !pp.needRecord && !pp.needAll {
		if !w.scan.Object() {
			w.unbindAll() // not an object: no fields
			return nil
		}
		for i, name := range w.names {
			if w.param != nil && w.param[i] >= 0 {
				if err := w.bindParam(i, name); err != nil {
					return err
				}
				continue
			}
			if raw, ok := w.scan.Field(w.keys[i]); ok {
				if lv, ok := shortJSONScalar(raw); ok {
					w.env.RawSetString(name, lv)
				} else {
					fv, err := w.scan.Parse(&w.parser, raw)
					if err != nil {
						return err
					}
					w.bindJSONField(name, fv)
				}
				w.bound[i] = true
			} else if w.bound[i] {
				w.env.RawSetString(name, glua.LNil)
				w.bound[i] = false
			}
		}
		return nil
	}
	w.whole.filled = false
	if pp.reuseRecord && w.scan.Object() {
		if ok, err := w.bindReused(); ok || err != nil {
			return err
		}
	}
	v, err := w.scan.Parse(&w.parser, line)
	if err != nil {
		return err
	}
	o, oerr := v.Object()
	if oerr != nil {
		// Not an object: no fields.
		w.unbindAll()
		if pp.needRecord {
			w.env.RawSetString("_", w.s.FromJSON(v))
		}
		return nil
	}
	if pp.needRecord {
		t := w.s.FromJSON(v).(*glua.LTable)
		if pp.needAll {
			w.bindAllTable(t)
		} else {
			for i, name := range w.names {
				if fv := t.RawGetString(w.keys[i]); fv != glua.LNil {
					w.env.RawSetString(name, fv)
					w.bound[i] = true
				} else if w.bound[i] {
					w.env.RawSetString(name, glua.LNil)
					w.bound[i] = false
				}
			}
		}
		w.env.RawSetString("_", t)
		return nil
	}
	w.unbindAll() // needAll
	o.Visit(func(k []byte, fv *fastjson.Value) {
		key := string(k)
		w.bindJSONField(key, fv)
		w.allKeys = append(w.allKeys, key)
	})
	return nil
}

// bindParam sets the parameter names[i] is passed as to the field's value,
// or to its fallback when the record lacks it.
func (w *pipeWorker) bindParam(i int, name string) error {
	raw, ok := w.scan.Field(w.keys[i])
	if !ok {
		w.args[w.param[i]] = w.fallback[w.param[i]]
		return nil
	}
	if lv, ok := shortJSONScalar(raw); ok {
		w.args[w.param[i]] = lv
		return nil
	}
	fv, err := w.scan.Parse(&w.parser, raw)
	if err != nil {
		return err
	}
	w.args[w.param[i]] = w.s.JSONField(w.env, name, fv) // a long integer's digits noted
	return nil
}

// shortJSONScalar converts the most common field values without a
// parser: an integer of at most 15 digits (exact in a float64, never a
// long integer) and a string without escapes. raw is a value the scanner
// accepted.
func shortJSONScalar(raw []byte) (glua.LValue, bool) {
	switch c := raw[0]; {
	case c == '"':
		body := raw[1 : len(raw)-1]
		if bytes.IndexByte(body, '\\') >= 0 {
			return nil, false
		}
		return glua.LString(body), true
	case c == '-' || c-'0' < 10:
		digits := raw
		if c == '-' {
			digits = raw[1:]
		}
		if len(digits) > 15 {
			return nil, false
		}
		var n int64
		for _, d := range digits {
			if d-'0' >= 10 {
				return nil, false // a fraction or an exponent
			}
			n = n*10 + int64(d-'0')
		}
		if c != '-' && n < smallNumbers {
			return smallNumber(int(n)), true
		}
		f := float64(n)
		if c == '-' {
			f = -f // -0 stays -0, as in fromJSON
		}
		return glua.LNumber(f), true
	}
	return nil, false
}

// smallNumbers is how many of the integers 0, 1, ... smallNumber keeps
// boxed: HTTP statuses, ports, counts. A float64 in an interface is an
// allocation of its own otherwise.
const smallNumbers = 1024

var (
	smallNumbersOnce sync.Once
	smallNumberVals  []glua.LValue
)

// smallNumber returns the Lua number n (0 <= n < smallNumbers), boxed once
// per process.
func smallNumber(n int) glua.LValue {
	smallNumbersOnce.Do(func() {
		smallNumberVals = make([]glua.LValue, smallNumbers)
		for i := range smallNumberVals {
			smallNumberVals[i] = glua.LNumber(i)
		}
	})
	return smallNumberVals[n]
}

// bindJSONField binds the global name to the JSON value fv, remembering
// the digits of a long integer (exact.go).
func (w *pipeWorker) bindJSONField(name string, fv *fastjson.Value) {
	w.s.SetJSONField(w.env, name, fv)
}

// bindValue binds a record decoded by a codec.
func (w *pipeWorker) bindValue(v any) {
	w.s.BeginRecord()
	pp := &w.p.progs
	obj, isObj := v.(value.Object)
	if !isObj {
		w.unbindAll()
		if pp.needRecord {
			w.env.RawSetString("_", w.s.ToLua(v))
		}
		return
	}
	if pp.needRecord || pp.needAll {
		t := w.s.ToLua(obj).(*glua.LTable)
		w.bindAllTable(t)
		if pp.needRecord {
			w.env.RawSetString("_", t)
		}
		return
	}
	for i, name := range w.names {
		if fv, ok := obj.Get(w.keys[i]); ok {
			w.s.SetField(w.env, name, fv)
			w.bound[i] = true
		} else if w.bound[i] {
			w.env.RawSetString(name, glua.LNil)
			w.bound[i] = false
		}
	}
}

// bindAllTable binds every string key of t (needAll), or the read names.
func (w *pipeWorker) bindAllTable(t *glua.LTable) {
	w.unbindAll()
	if !w.p.progs.needAll {
		for i, name := range w.names {
			if fv := t.RawGetString(w.keys[i]); fv != glua.LNil {
				w.env.RawSetString(name, fv)
				w.bound[i] = true
			}
		}
		return
	}
	t.ForEach(func(k, v glua.LValue) {
		if ks, ok := k.(glua.LString); ok {
			w.env.RawSetString(string(ks), v)
			w.allKeys = append(w.allKeys, string(ks))
		}
	})
}

// unbindAll removes every field of the previous record from the
// environment.
func (w *pipeWorker) unbindAll() {
	copy(w.args, w.fallback)
	for i, name := range w.names {
		if w.bound[i] {
			w.env.RawSetString(name, glua.LNil)
			w.bound[i] = false
		}
	}
	for _, k := range w.allKeys {
		w.env.RawSetString(k, glua.LNil)
	}
	w.allKeys = w.allKeys[:0]
}

// write appends a result or emitted value to the output: nil and false
// drop, true passes the record through, anything else is encoded.
func (w *pipeWorker) write(v glua.LValue) error {
	r := w.res
	switch v {
	case glua.LNil, glua.LFalse:
		return nil
	case glua.LTrue:
		return w.passThrough()
	}
	switch w.p.outKind {
	case outAuto:
		var err error
		switch x := v.(type) {
		case glua.LString:
			r.out = append(r.out, x...)
		case glua.LNumber:
			r.out = w.s.AppendRecordNumber(r.out, x)
		case *glua.LTable:
			n := len(r.out)
			if r.out, err = w.appendJSON(r.out, x); err != nil {
				r.out = r.out[:n]
				return err
			}
		default:
			if v != glua.LValue(w.s.Null) {
				return fmt.Errorf("cannot write a %s", lua.TypeName(v))
			}
			r.out = append(r.out, "null"...)
		}
		r.out = append(r.out, '\n')
	case outJSON:
		n := len(r.out)
		var err error
		if r.out, err = w.appendJSON(r.out, v); err != nil {
			r.out = r.out[:n]
			return err
		}
		r.out = append(r.out, '\n')
	case outEncoder:
		gv, err := w.s.FromLua(v)
		if err != nil {
			return err
		}
		r.marks = append(r.marks, pipeMark{at: len(r.out), v: gv, pos: w.pos})
	}
	return nil
}

// appendJSON appends v as JSON: the reused record table from its input
// text where it can (record.go), anything else with State.AppendJSON.
func (w *pipeWorker) appendJSON(dst []byte, v glua.LValue) ([]byte, error) {
	if t, ok := v.(*glua.LTable); ok && t == w.whole.t {
		if out, ok, err := w.appendReused(dst, t); ok {
			return out, err
		}
	}
	return w.s.AppendJSON(dst, v)
}

// writeFields writes the values a rewritten table constructor returned
// (on the stack) as the table would have been written, and pops them.
func (w *pipeWorker) writeFields() error {
	L, r := w.L, w.res
	base := L.GetTop() - w.nret
	defer L.SetTop(base)
	if w.p.outKind == outEncoder {
		obj := make(value.Object, 0, w.nret)
		for i, k := range w.tableKeys {
			v := L.Get(base + 1 + i)
			if v == glua.LNil {
				continue
			}
			gv, err := w.s.FromLua(v)
			if err != nil {
				return err
			}
			obj = append(obj, value.Member{Key: k, Value: gv})
		}
		r.marks = append(r.marks, pipeMark{at: len(r.out), v: obj, pos: w.pos})
		return nil
	}
	n := len(r.out)
	r.out = append(r.out, '{')
	first := true
	for i := range w.tableKeys {
		v := L.Get(base + 1 + i)
		if v == glua.LNil {
			continue
		}
		if !first {
			r.out = append(r.out, ',')
		}
		first = false
		r.out = append(r.out, w.quoted[i]...)
		var err error
		if r.out, err = w.s.AppendJSON(r.out, v); err != nil {
			r.out = r.out[:n]
			return err
		}
	}
	r.out = append(r.out, '}', '\n')
	return nil
}

// passThrough writes the current record unchanged: its input bytes and
// line end (a last line without "\n" stays without one), unless the output
// codec differs from the input's, which then encodes the record.
func (w *pipeWorker) passThrough() error {
	if !w.inRec {
		return errors.New("true passes the record through, but there is no record here")
	}
	r := w.res
	p := w.p
	if p.outKind == outAuto || (p.outKind == outJSON && p.inKind == inJSON) {
		r.out = append(r.out, w.raw...)
		if !w.open || p.inKind == inGeneric {
			r.out = append(r.out, '\n')
		}
		return nil
	}
	var v any
	switch p.inKind {
	case inText:
		v = string(w.raw)
	case inJSON:
		var err error
		if v, err = w.jsonIn.Unmarshal(w.raw); err != nil {
			return err
		}
	default:
		v = w.rec
	}
	if p.outKind == outJSON {
		n := len(r.out)
		var err error
		if r.out, err = codec.AppendJSON(r.out, v); err != nil {
			r.out = r.out[:n]
			return err
		}
		r.out = append(r.out, '\n')
		return nil
	}
	r.marks = append(r.marks, pipeMark{at: len(r.out), v: v, pos: w.pos})
	return nil
}

// luaPrint is print: its arguments as tostring shows them, separated by
// tabs, then "\n", into the pipe's output in order with the results.
func (w *pipeWorker) luaPrint(L *glua.LState) int {
	w.appendArgs(L, '\t')
	if w.res != nil {
		w.res.out = append(w.res.out, '\n')
	}
	return 0
}

// luaWrite is io.write: its arguments without separators or newline.
func (w *pipeWorker) luaWrite(L *glua.LState) int {
	w.appendArgs(L, 0)
	return 0
}

func (w *pipeWorker) appendArgs(L *glua.LState, sep byte) {
	if w.res == nil {
		return
	}
	r := w.res
	for i := 1; i <= L.GetTop(); i++ {
		if i > 1 && sep != 0 {
			r.out = append(r.out, sep)
		}
		switch x := L.Get(i).(type) {
		case glua.LString:
			r.out = append(r.out, x...)
		case glua.LNumber:
			r.out = lua.AppendNumber(r.out, float64(x))
		default:
			r.out = append(r.out, L.ToStringMeta(x).String()...)
		}
	}
}

// luaEmit is emit(v): writes v as a result would be (nil and false write
// nothing, true the record), any number of times per record.
func (w *pipeWorker) luaEmit(L *glua.LState) int {
	if w.res == nil {
		return 0
	}
	if err := w.write(L.Get(1)); err != nil {
		L.RaiseError("emit: %v", err)
	}
	return 0
}

// isBlankLine reports whether b holds only JSON whitespace.
func isBlankLine(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}
