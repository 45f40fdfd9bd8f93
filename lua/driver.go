package lua

import (
	"context"
	_ "embed"
	"fmt"
	"slices"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/exitcode"
	"github.com/streamctl/streamctl/value"
)

// The kinds of step a handler's driver runs (queued.kind). newInstance
// passes them to driver.lua as RECORD, FLUSH and FLUSH_OP.
const (
	stepRecord  = 1 // a record, through the operators and the handler function
	stepFlush   = 2 // the input ended: every operator flushes
	stepFlushOp = 3 // one operator's timed flush (pipe.batch{every=}, window idle)
)

// instance is a handler's code in one Lua state.
type instance struct {
	h    *Handler
	s    *State
	spec *HandlerSpec
	step *glua.LFunction    // step(kind, v, m)
	loop *glua.LFunction    // the driver coroutine body (main state)
	drv  *task              // main state: the driver coroutine
	cur  *connectors.Record // the record of the running step, nil in flush steps
	// rec holds the record cur points to: a copy owned by the instance, so
	// that queued steps need not escape to the heap.
	rec  connectors.Record
	meta glua.LValue
	ack  *ackTracker // the current record's ack, nil when it has none
	// stepsRun counts the steps the driver ran since runStep last resumed
	// it (main state); next stops batching at maxStepsPerResume.
	stepsRun int
	// counted is true while the running step handles a record counted by
	// the run's commits (see recordDone).
	counted bool
	// vq counts the records the instance has yet to finish, for a virtual
	// clock (vclock.go); nil otherwise.
	vq *vqueue
	// stepCtx is done when the running call passes the handler's timeout
	// (limits.go); nil without one.
	stepCtx  context.Context
	deadline *callDeadline // stepCtx while a call runs, reused
	// attempt counts the retries of the current record (retry.go).
	attempt int
	// needMeta is false when no code of the instance can read meta: the
	// handler takes fewer than two parameters, no pipe operator reads meta
	// or calls a function that may (opNeedsMeta), and there are no function
	// sinks. The per-record meta table is then skipped.
	needMeta bool
	// metaReused, when not nil, is the one meta table of every record,
	// holding the metaFields the handler reads (meta.go).
	metaReused *glua.LTable
	metaFields []string
	// valueReused, when not nil, is the one table of every record's value
	// that is an object, holding the valueFields the first operator's
	// functions read (meta.go).
	valueReused *glua.LTable
	valueFields []string
	// valueDirect: the first operator reads the record's fields itself
	// (record_fields); direct is the current record's object it reads,
	// nil when its table was filled or converted as usual.
	valueDirect bool
	direct      value.Object
	// acked holds, per sink of spec.Sinks, whether it acks its writes
	// (connectors.WritesAcked), asked once instead of per output.
	acked []bool
}

// driverLua builds step, one step of the handler, and loop, the body of the
// main state's driver coroutine. After each step loop asks take (the Go
// function instance.next) for the following queued step and runs it at once;
// only when take returns nothing does it yield DONE to the scheduler, which
// resumes it with the next step later. Worker states call step directly.
// Record steps go straight to the chain from loop, and out is only called
// for a value: per record, that saves a Lua call and, for records the
// handler drops, a Go call. The step kinds are the constants below, passed
// to the chunk by newInstance.
//
//go:embed driver.lua
var driverLua []byte

// takesMeta reports whether fn may read a second argument (meta).
func takesMeta(fn *glua.LFunction) bool {
	p := fn.Proto
	return p == nil || p.NumParameters >= 2 || p.IsVarArg != 0
}

// opNeedsMeta reports whether a pipe operator needs the records' meta: it
// reads it itself (reads_meta), or a function it calls with (v, meta)
// (meta_fns) may read it. An operator that declares neither, one written
// in the script, gets meta.
func opNeedsMeta(op *glua.LTable) bool {
	fns, ok := op.RawGetString("meta_fns").(*glua.LTable)
	if !ok || glua.LVAsBool(op.RawGetString("reads_meta")) {
		return true
	}
	need := false
	fns.ForEach(func(_, v glua.LValue) {
		if f, ok := v.(*glua.LFunction); ok && takesMeta(f) {
			need = true
		}
	})
	return need
}

func newInstance(s *State, h *Handler, spec *HandlerSpec) (*instance, error) {
	in := &instance{h: h, s: s, spec: spec, needMeta: takesMeta(spec.Fn)}
	for _, op := range spec.Operators {
		in.needMeta = in.needMeta || opNeedsMeta(op)
	}
	in.acked = make([]bool, len(spec.Sinks))
	for i, ref := range spec.Sinks {
		if ref.Fn != nil || ref.Encode != nil {
			in.needMeta = true
		}
		in.acked[i] = connectors.WritesAcked(ref.Go)
	}
	L := s.L
	drv, err := s.Load(driverLua, "=[handler]")
	if err != nil {
		return nil, err
	}
	ops := L.CreateTable(len(spec.Operators), 0)
	for i, op := range spec.Operators {
		if _, ok := op.RawGetString("push").(*glua.LFunction); !ok {
			return nil, fmt.Errorf("handle: pipe[%d] is not a pipe operator", i+1)
		}
		ops.RawSetInt(i+1, op)
	}
	out := L.NewFunction(func(L *glua.LState) int {
		v := L.Get(2)
		if v != glua.LNil {
			if err := in.writeAll(v, L.Get(3), L.Get(1)); err != nil {
				in.raiseOutputError(L, err)
			}
		}
		return 0
	})
	var done, next glua.LValue = glua.LNil, glua.LNil
	if s.IsMain() {
		done = s.rt.sch.done
		next = L.NewFunction(in.next)
	}
	res, err := s.CallValues(drv, 2, ops, spec.Fn, out, L.GetField(L.GetGlobal("coroutine"), "yield"), done, next,
		glua.LNumber(stepRecord), glua.LNumber(stepFlush), glua.LNumber(stepFlushOp))
	if err != nil {
		return nil, err
	}
	in.step = res[0].(*glua.LFunction)
	in.loop = res[1].(*glua.LFunction)
	in.planMeta()
	in.planValue()
	return in, nil
}

// prepare converts a queued step to driver arguments; bad input is handled
// here and reports ok = false.
func (in *instance) prepare(q *queued) (kind, v, m glua.LValue, ok bool) {
	switch q.kind {
	case stepFlush:
		in.cur, in.direct = nil, nil
		in.meta = glua.LNil
		return glua.LNumber(stepFlush), glua.LNil, glua.LNil, true
	case stepFlushOp:
		in.cur, in.direct = nil, nil
		return glua.LNumber(stepFlushOp), glua.LNumber(q.opIdx), glua.LNil, true
	}
	if q.rec.Valid != nil && !q.rec.Valid() {
		in.h.rt.recordDone()
		in.vq.add(-1)
		return nil, nil, nil, false // stale: its partition was sought elsewhere
	}
	in.counted = true
	in.attempt = 0
	in.rec = q.rec
	rec := &in.rec
	in.h.nIn.Add(1)
	in.ack = nil
	if rec.Ack != nil {
		in.ack = newAckTracker(rec.Ack)
	}
	if rec.Err != nil {
		in.fail(rec, rec.Err, exitcode.BadInput)
		in.finishAck(nil)
		in.recordDone()
		return nil, nil, nil, false
	}
	in.cur = rec
	in.s.BeginRecord()
	v = in.valueOf(rec.Value)
	if in.spec.Decode != nil {
		res, err := in.s.CallValues(in.spec.Decode, 1, v)
		if err != nil {
			in.cur = nil
			in.fail(rec, &connectors.BadInputError{Source: rec.Source, Pos: rec.Pos, Err: fmt.Errorf("decode: %s", err)}, exitcode.BadInput)
			in.finishAck(nil)
			in.recordDone()
			return nil, nil, nil, false
		}
		v = res[0]
	}
	in.meta = glua.LNil
	if in.needMeta {
		in.meta = in.metaOf(rec)
	}
	return glua.LNumber(stepRecord), v, in.meta, true
}

// MetaTable builds the meta table of a record: source, key, time and the
// source's own metadata.
func (s *State) MetaTable(rec *connectors.Record) *glua.LTable {
	var buf [8]string
	keys := rec.MetaKeys(buf[:0])
	t := s.L.CreateTable(0, 3+len(keys))
	t.RawSetString("source", glua.LString(rec.Source))
	if rec.Key != nil {
		t.RawSetString("key", s.toLua(rec.Key))
		if mayBeExact(rec.Key) {
			s.noteGoNumber(t, glua.LString("key"), rec.Key)
		}
	}
	if !rec.Time.IsZero() {
		t.RawSetString("time", glua.LNumber(float64(rec.Time.UnixNano())/1e9))
	}
	// The source's own fields in sorted order, so that pairs(meta) and
	// json.encode(meta) give the same order for every record.
	slices.Sort(keys)
	for _, k := range keys {
		v, _ := rec.MetaField(k)
		t.RawSetString(k, s.toLua(v))
	}
	return t
}
