package oneliner

import (
	"bytes"
	"math"
	"reflect"
	"slices"

	glua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"

	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/lua"
)

// The whole record, `_`
//
// Code that reads `_` as a table gets the record as a Lua table. Building
// a fresh gopher-lua table per record costs two Go maps and a dozen
// allocations; when the code provably keeps no reference to `_` beyond the
// record, a worker refills one table instead, and writes `return _` from
// the members' own JSON text where a value is unchanged:
//
//   - `_` is only indexed (`_.k`, `_[e]`), assigned into with constant
//     string keys (`_.k = v`), or returned as the code's result (`return
//     _`, written at once); it is never stored, passed to a function,
//     compared or captured, and the begin and end chunks do not name it;
//   - no local is called `_` and the code cannot reach its environment by
//     name (canRewriteRecordFields), so every `_` is the record.
//
// A refilled table must be what a fresh one would be, pairs() order
// included: gopher-lua keeps a table's keys in first-insertion order and
// never forgets one. The table is refilled only by a record with the same
// members in the same order as the record that built it, and only while
// those members include every name the code assigns in `_`, so no record
// can have added a key. Otherwise the record gets a fresh table, which is
// kept for the records after it.

// recordUses is how code uses the global `_` (scanRecordUses).
type recordUses struct {
	reads         bool     // `_.k` or `_[e]` read
	returns       bool     // `return _` in the per-record function
	writes        []string // constant keys assigned: `_.k = v`
	computedWrite bool     // `_[e] = v` with e not a constant string
	other         bool     // any other use: stored, passed, compared...
}

// any reports whether the code names `_` at all.
func (u recordUses) any() bool {
	return u.reads || u.returns || len(u.writes) > 0 || u.computedWrite || u.other
}

// onlyReads reports whether `_` is only read by field or returned, so that
// nothing can change a field after it was read.
func (u recordUses) onlyReads() bool {
	return len(u.writes) == 0 && !u.computedWrite && !u.other
}

// scanRecordUses classifies every use of the identifier `_` in chunk.
// Functions nested deeper than the per-record function (`return
// function() ... end`, depth 1) may read and assign fields of `_` (the
// global is looked up when they run), but a `return _` there hands the
// table to their caller: other.
func scanRecordUses(chunk []ast.Stmt) recordUses {
	var u recordUses
	var walk func(v reflect.Value, depth int)
	walk = func(v reflect.Value, depth int) {
		if v.Kind() == reflect.Interface {
			if !v.IsNil() {
				walk(v.Elem(), depth)
			}
			return
		}
		if v.Kind() == reflect.Pointer && !v.IsNil() {
			switch n := v.Interface().(type) {
			case *ast.AssignStmt:
				for _, lhs := range n.Lhs {
					a, ok := lhs.(*ast.AttrGetExpr)
					if !ok || !isRecordIdent(a.Object) {
						walk(reflect.ValueOf(lhs), depth)
						continue
					}
					if k, ok := a.Key.(*ast.StringExpr); ok {
						if !slices.Contains(u.writes, k.Value) {
							u.writes = append(u.writes, k.Value)
						}
					} else {
						u.computedWrite = true
						walk(reflect.ValueOf(a.Key), depth)
					}
				}
				for _, rhs := range n.Rhs {
					walk(reflect.ValueOf(rhs), depth)
				}
				return
			case *ast.AttrGetExpr:
				if isRecordIdent(n.Object) {
					u.reads = true
					walk(reflect.ValueOf(n.Key), depth)
					return
				}
			case *ast.ReturnStmt:
				if depth == 1 && len(n.Exprs) == 1 && isRecordIdent(n.Exprs[0]) {
					u.returns = true
					return
				}
			case *ast.FunctionExpr:
				lua.EachASTChild(v, func(c reflect.Value) { walk(c, depth+1) })
				return
			case *ast.IdentExpr:
				if n.Value == "_" {
					u.other = true
				}
				return
			}
		}
		lua.EachASTChild(v, func(c reflect.Value) { walk(c, depth) })
	}
	walk(reflect.ValueOf(chunk), 0)
	return u
}

func isRecordIdent(e ast.Expr) bool {
	id, ok := e.(*ast.IdentExpr)
	return ok && id.Value == "_"
}

// reusedRecord is the table a worker binds `_` to record after record when
// pipePrograms.reuseRecord holds (see the section comment).
type reusedRecord struct {
	t *glua.LTable // nil until an object record built it, or when unfit
	// keys are t's keys in insertion order: the members of the record that
	// built it; quoted[i] is `"keys[i]":`.
	keys   []string
	quoted [][]byte
	// covers: keys hold every name the code assigns in `_`.
	covers bool
	// filled: t holds the record being evaluated, bound from its members.
	filled bool
	// vals[i] is the value bound at keys[i] for the current record; raw[i]
	// its JSON text when writing that text is the same as encoding it, else
	// nil.
	vals []glua.LValue
	raw  [][]byte
}

// bindReused binds `_` to the reused table filled with the object the
// scanner holds. It reports false, having bound nothing, when the record
// does not fit a table it can fill the same way as a fresh one (a key with
// an escape, a name repeated): the caller then builds the table as usual.
func (w *pipeWorker) bindReused() (bool, error) {
	r := &w.whole
	r.filled = false
	n := w.scan.Members()
	same := r.t != nil && r.covers && n == len(r.keys)
	for i := 0; same && i < n; i++ {
		k, _, esc := w.scan.Member(i)
		same = !esc && string(k) == r.keys[i]
	}
	if !same && !r.start(w, n) {
		return false, nil
	}
	for i := 0; i < n; i++ {
		_, v, _ := w.scan.Member(i)
		if err := r.set(w, i, v); err != nil {
			r.t = nil
			return false, err
		}
	}
	r.filled = true
	if w.env.RawGetString("_") != r.t {
		w.env.RawSetString("_", r.t)
	}
	for i, name := range w.names {
		if fv := r.t.RawGetString(w.keys[i]); fv != glua.LNil {
			w.env.RawSetString(name, fv)
			w.bound[i] = true
		} else if w.bound[i] {
			w.env.RawSetString(name, glua.LNil)
			w.bound[i] = false
		}
	}
	return true, nil
}

// start makes a fresh table for a record of n members whose keys differ
// from the previous one's; false if the record does not fit (see
// bindReused).
func (r *reusedRecord) start(w *pipeWorker, n int) bool {
	r.t = nil
	r.keys, r.quoted = r.keys[:0], r.quoted[:0]
	for i := 0; i < n; i++ {
		k, _, esc := w.scan.Member(i)
		if esc {
			return false
		}
		key := string(k)
		if slices.Contains(r.keys, key) {
			return false
		}
		r.keys = append(r.keys, key)
		q := codec.AppendString(nil, key)
		r.quoted = append(r.quoted, append(q, ':'))
	}
	r.covers = true
	for _, name := range w.p.progs.recordWrites {
		r.covers = r.covers && slices.Contains(r.keys, name)
	}
	r.t = w.L.CreateTable(0, n)
	r.vals = slices.Grow(r.vals[:0], n)[:n]
	r.raw = slices.Grow(r.raw[:0], n)[:n]
	return true
}

// set binds keys[i] of t to the JSON value raw.
func (r *reusedRecord) set(w *pipeWorker, i int, raw []byte) error {
	key := r.keys[i]
	if lv, exact := w.jsonScalar(raw); lv != nil {
		r.t.RawSetString(key, lv)
		r.vals[i] = lv
		r.raw[i] = nil
		if exact {
			r.raw[i] = raw
		}
		return nil
	}
	fv, err := w.scan.Parse(&w.parser, raw)
	if err != nil {
		return err
	}
	w.s.SetJSONField(r.t, key, fv) // remembers a long integer's digits
	r.vals[i], r.raw[i] = r.t.RawGetString(key), nil
	return nil
}

// jsonScalar converts the usual member values without a parser (see
// shortJSONScalar; also true, false and null) and reports whether raw is
// exactly how AppendJSON writes the value: not for "-0" (written "0") nor
// for a string holding the bytes of an encoded surrogate (written as a
// \u escape). It returns nil for other values.
func (w *pipeWorker) jsonScalar(raw []byte) (glua.LValue, bool) {
	switch raw[0] {
	case 't':
		return glua.LTrue, true
	case 'f':
		return glua.LFalse, true
	case 'n':
		return w.s.Null, true
	case '"':
		lv, ok := shortJSONScalar(raw)
		if !ok {
			return nil, false
		}
		return lv, bytes.IndexByte(raw, 0xed) < 0
	}
	lv, ok := shortJSONScalar(raw)
	if !ok {
		return nil, false
	}
	return lv, !(len(raw) == 2 && raw[0] == '-' && raw[1] == '0')
}

// appendReused appends the reused table t holding the current record as
// AppendJSON would: its keys in order, each unchanged value as its input
// text. ok is false when t is not that table in that state.
func (w *pipeWorker) appendReused(dst []byte, t *glua.LTable) (_ []byte, ok bool, err error) {
	r := &w.whole
	if t != r.t || !r.filled || !r.covers || !w.inRec {
		return dst, false, nil
	}
	dst = append(dst, '{')
	first := true
	for i, k := range r.keys {
		v := r.t.RawGetString(k)
		if v == glua.LNil {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, r.quoted[i]...)
		if r.raw[i] != nil && sameLValue(v, r.vals[i]) {
			dst = append(dst, r.raw[i]...)
			continue
		}
		if dst, err = w.s.AppendJSONMember(dst, t, k, v); err != nil {
			return dst, true, err
		}
	}
	return append(dst, '}'), true, nil
}

// sameLValue reports whether a and b are the same Lua value: numbers bit
// for bit (so -0 differs from 0), strings by content, others by identity.
func sameLValue(a, b glua.LValue) bool {
	switch x := a.(type) {
	case glua.LNumber:
		y, ok := b.(glua.LNumber)
		return ok && math.Float64bits(float64(x)) == math.Float64bits(float64(y))
	case glua.LString:
		y, ok := b.(glua.LString)
		return ok && x == y
	}
	return a == b
}
