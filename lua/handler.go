package lua

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/exitcode"
)

// errRunFailed acks records that were in flight when the run failed.
var errRunFailed = errors.New("the run failed before the record was done")

// Error policies of a handler (opts.on_error).
const (
	OnErrorStop = "stop"
	OnErrorSkip = "skip"
	OnErrorSink = "sink"
)

// batchSize bounds how many buffered records the scheduler takes from one
// handler's queue at a time; bufferSize bounds each handler's input buffer.
const (
	batchSize  = 256
	bufferSize = 1024
)

// SinkRef is one output of a handler in one state.
type SinkRef struct {
	// Go is a sink shared by every state (already locked by the runtime).
	Go connectors.Sink
	// Fn is a Lua function sink of this state: fn(value, key, meta).
	Fn *glua.LFunction
	// Encode is a Lua codec's encode function applied before Go.
	Encode *glua.LFunction
	// NeedKey rejects records without a key (cache sinks).
	NeedKey bool
}

// HandlerSpec is what handle(source, opts, fn) registered in one state.
type HandlerSpec struct {
	Name   string
	Source connectors.Source
	// Decode is a Lua codec's decode function applied to each record's
	// string value in this state (custom codecs), or nil.
	Decode  *glua.LFunction
	Fn      *glua.LFunction
	Pipe    []*glua.LTable // pipe operators: tables with push[, flush, every]
	Sinks   []SinkRef
	Workers int
	Key     *glua.LFunction
	OnError string   // OnErrorStop, OnErrorSkip or OnErrorSink
	ErrSink *SinkRef // with OnErrorSink
}

// Derived is implemented by sources fed by the run itself (cache:updates()):
// they end when every handler of the other sources has finished, since
// nothing can feed them any more.
type Derived interface {
	Derived() bool
}

// Handle registers a handler. Only allowed at the top level. In the main
// state it creates the handler; in worker states it provides the worker's
// copy of the handler's functions, matched by position.
func (s *State) Handle(spec *HandlerSpec) error {
	if !s.topLevel {
		return errTopLevelOnly
	}
	if spec.Workers < 1 {
		spec.Workers = 1
	}
	if spec.OnError == "" {
		spec.OnError = OnErrorStop
	}
	if len(spec.Sinks) == 0 && s.rt != nil {
		spec.Sinks = []SinkRef{{Go: s.rt.stdoutSink}}
	}
	s.specs = append(s.specs, spec)
	if s.IsMain() {
		rt := s.rt
		name := spec.Name
		if name == "" {
			name = fmt.Sprintf("handler%d", len(rt.handlers)+1)
			spec.Name = name
		}
		rt.handlersMu.Lock()
		rt.handlers = append(rt.handlers, &Handler{rt: rt, index: len(rt.handlers), name: name, spec: spec})
		rt.handlersMu.Unlock()
	}
	return nil
}

// Handler is one handle() call of the script: a source, an optional pipe,
// a function and sinks, run in the main state or in worker states.
type Handler struct {
	rt    *Runtime
	index int
	name  string
	spec  *HandlerSpec

	in  chan connectors.Record
	ack chan struct{}

	// main-state execution (scheduler goroutine only)
	inst       *instance
	queue      stepQueue
	busy       bool
	waitingAck bool
	inputDone  bool
	finished   bool

	workers []*instance
	derived bool // its source is Derived

	nIn, nOut, nErr, nSkipped, nLate atomic.Int64
	logged                           atomic.Int64
}

type queued struct {
	rec   connectors.Record
	kind  int // stepRecord, stepFlush, stepFlushOp
	opIdx int
}

const (
	stepRecord  = 1
	stepFlush   = 2
	stepFlushOp = 3
)

// stepQueue is the FIFO of a handler's steps waiting for the main state. Its
// array is reused once it ran empty, which it does after every delivery.
type stepQueue struct {
	items []queued
	head  int
}

func (q *stepQueue) len() int { return len(q.items) - q.head }

func (q *stepQueue) push(steps ...queued) { q.items = append(q.items, steps...) }

// pop removes and returns the oldest step; the queue must not be empty.
func (q *stepQueue) pop() queued {
	step := q.items[q.head]
	q.items[q.head] = queued{} // drop the record's references
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	return step
}

// Name returns the handler's name (opts.name or "handlerN").
func (h *Handler) Name() string { return h.name }

// Counts returns records in, out, failed and skipped so far.
func (h *Handler) Counts() (in, out, failed, skipped int64) {
	return h.nIn.Load(), h.nOut.Load(), h.nErr.Load(), h.nSkipped.Load()
}

// Late returns the number of late records the handler's window operators
// received (each went to the operator's late sink or was dropped).
func (h *Handler) Late() int64 { return h.nLate.Load() }

// CountLate counts a late record for the handler running in L (window
// operators); it does nothing outside handlers.
func (s *State) CountLate(L *glua.LState) {
	if in := s.current(L); in != nil {
		in.h.nLate.Add(1)
	}
}

// Handlers returns the handlers the script registered so far (all of them
// once the top level ran). Safe from any goroutine (a /metrics scrape).
func (rt *Runtime) Handlers() []*Handler {
	rt.handlersMu.Lock()
	defer rt.handlersMu.Unlock()
	return rt.handlers[:len(rt.handlers):len(rt.handlers)]
}

// buildHandlers wires sources to handlers and creates worker states.
func (rt *Runtime) buildHandlers() error {
	feeds := map[connectors.Source]*feed{}
	var order []*feed
	for _, h := range rt.handlers {
		h.in = make(chan connectors.Record, bufferSize)
		h.ack = make(chan struct{}, 1)
		f := feeds[h.spec.Source]
		if f == nil {
			f = &feed{rt: rt, src: h.spec.Source}
			if d, ok := h.spec.Source.(Derived); ok && d.Derived() {
				f.derived = true
			}
			feeds[h.spec.Source] = f
			order = append(order, f)
		}
		h.derived = f.derived
		f.subs = append(f.subs, h.in)
		if h.spec.Workers == 1 {
			inst, err := newInstance(rt.main, h, h.spec)
			if err != nil {
				return err
			}
			h.inst = inst
			continue
		}
		for i := 1; i <= h.spec.Workers; i++ {
			inst, err := rt.newWorker(h, i)
			if err != nil {
				return err
			}
			h.workers = append(h.workers, inst)
		}
		if h.spec.Key != nil {
			inst, err := rt.newWorker(h, h.spec.Workers+1)
			if err != nil {
				return err
			}
			h.workers = append(h.workers, inst) // the last one only computes keys
		}
	}
	rt.feeds = order
	return nil
}

// newWorker creates a worker state that re-runs the top level and returns its
// instance of handler h.
func (rt *Runtime) newWorker(h *Handler, worker int) (*instance, error) {
	s := newState(rt, worker)
	if err := rt.openModules(s); err != nil {
		return nil, err
	}
	chunk, err := s.Load(rt.opts.Source, rt.opts.Script)
	if err != nil {
		return nil, err
	}
	s.topLevel = true
	_, err = s.CallValues(chunk, 0)
	s.topLevel = false
	if err != nil {
		return nil, fmt.Errorf("worker %d of %s: %w", worker, h.name, err)
	}
	if len(s.specs) <= h.index {
		return nil, fmt.Errorf("worker %d of %s: the top level registered %d handlers, the main state %d; keep the top level deterministic", worker, h.name, len(s.specs), len(rt.handlers))
	}
	rt.OnClose(func(context.Context) error { s.Close(); return nil })
	return newInstance(s, h, s.specs[h.index])
}

// start starts the handler's source feed (once per source) and its workers.
func (h *Handler) start() {
	rt := h.rt
	for _, f := range rt.feeds {
		if !f.started && containsChan(f.subs, h.in) {
			f.started = true
			ctx := rt.srcCtx
			if f.derived {
				ctx = rt.derivedCtx
			}
			go f.run(ctx)
		}
	}
	for _, op := range h.spec.Pipe {
		if every, ok := op.RawGetString("every").(glua.LNumber); ok && every > 0 {
			h.startTicker(time.Duration(float64(every)*float64(time.Second)), op)
		}
	}
	if h.inst != nil {
		go h.feedScheduler()
		return
	}
	h.startWorkers()
}

func containsChan(subs []chan connectors.Record, c chan connectors.Record) bool {
	for _, s := range subs {
		if s == c {
			return true
		}
	}
	return false
}

// startTicker flushes pipe operator op every d (pipe.batch{every=}).
func (h *Handler) startTicker(d time.Duration, op *glua.LTable) {
	idx := -1
	for i, o := range h.spec.Pipe {
		if o == op {
			idx = i + 1
		}
	}
	if h.inst == nil {
		return // worker handlers flush batches by size and at the end
	}
	go func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				h.rt.sch.post(func() {
					if !h.finished {
						h.queue.push(queued{kind: stepFlushOp, opIdx: idx})
						h.pump()
					}
				})
			case <-h.rt.stopping:
				return
			}
		}
	}()
}

// feedScheduler moves records from the input buffer to the scheduler, one
// batch at a time: the next batch is sent when the previous one is done.
// deliver copies a batch into the handler's queue before the ack that lets
// this loop go on, so one array serves every batch.
func (h *Handler) feedScheduler() {
	buf := make([]queued, 0, batchSize)
	for {
		rec, ok := <-h.in
		if !ok {
			h.rt.sch.post(h.closeInput)
			return
		}
		batch := append(buf[:0], queued{rec: rec, kind: stepRecord})
	more:
		for len(batch) < batchSize {
			select {
			case r, ok := <-h.in:
				if !ok {
					break more
				}
				batch = append(batch, queued{rec: r, kind: stepRecord})
			default:
				break more
			}
		}
		h.rt.sch.post(func() { h.deliver(batch) })
		<-h.ack
	}
}

// deliver queues a batch from feedScheduler, which gets it back (the ack)
// once every step of the queue ran.
func (h *Handler) deliver(batch []queued) {
	h.queue.push(batch...)
	h.waitingAck = true
	h.pump()
}

func (h *Handler) closeInput() {
	h.queue.push(queued{kind: stepFlush})
	h.inputDone = true
	h.pump()
}

// pump runs queued steps until one waits or the queue is empty.
func (h *Handler) pump() {
	for !h.busy && h.queue.len() > 0 {
		q := h.queue.pop()
		if q.kind == stepRecord && h.rt.failed() != nil {
			continue // the run is failing: drop what is left
		}
		h.inst.runStep(q)
	}
	if h.busy {
		return
	}
	if h.waitingAck {
		h.waitingAck = false
		h.ack <- struct{}{}
	}
	if h.inputDone && h.queue.len() == 0 && !h.finished {
		h.setFinished()
	}
}

func (h *Handler) startWorkers() {
	rt := h.rt
	n := h.spec.Workers
	chans := make([]chan connectors.Record, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		chans[i] = make(chan connectors.Record, bufferSize/n+1)
		inst := h.workers[i]
		wg.Add(1)
		go func(ch chan connectors.Record) {
			defer wg.Done()
			for rec := range ch {
				if rt.failed() != nil {
					continue
				}
				inst.runDirect(queued{rec: rec, kind: stepRecord})
			}
			inst.runDirect(queued{kind: stepFlush})
		}(chans[i])
	}
	var keyer *instance
	if h.spec.Key != nil {
		keyer = h.workers[n]
	}
	rt.workerWG.Add(1)
	go func() {
		defer rt.workerWG.Done()
		next := 0
		for rec := range h.in {
			i := next
			next = (next + 1) % n
			if keyer != nil && rec.Err == nil {
				k, err := keyer.key(&rec)
				if err != nil {
					h.workers[0].fail(&rec, err, exitcode.Runtime)
					continue
				}
				i = int(k % uint32(n))
			} else if p, ok := rec.Meta["partition"]; ok {
				i = int(hashString(fmt.Sprint(p)) % uint32(n))
			}
			chans[i] <- rec
		}
		for _, c := range chans {
			close(c)
		}
		wg.Wait()
		rt.sch.post(h.setFinished)
	}()
}

func hashString(s string) uint32 {
	f := fnv.New32a()
	f.Write([]byte(s))
	return f.Sum32()
}

// setFinished marks the handler done (scheduler goroutine). When the last
// handler of a source that is not Derived finished, derived sources stop.
func (h *Handler) setFinished() {
	h.finished = true
	if h.derived {
		return
	}
	for _, o := range h.rt.handlers {
		if !o.derived && !o.finished {
			return
		}
	}
	h.rt.derivedCancel()
}

// logSummary logs skipped records once the handler ended.
func (h *Handler) logSummary() {
	if n := h.nSkipped.Load(); n > 0 {
		h.rt.log.Warn("records skipped", "handler", h.name, "count", n)
	}
}

// maxStepsPerResume bounds how many queued steps one resume of a driver
// coroutine runs (see instance.next). The queue holds at most one delivered
// batch (batchSize records) plus flush steps, and pump used to run all of it
// within one scheduler event anyway, so the bound keeps the fairness towards
// timers, other handlers and the scheduler's idle flush of output that one
// coroutine resume per step had.
const maxStepsPerResume = batchSize

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
	// needMeta is false when no code of the instance can read meta: the
	// handler takes fewer than two parameters, there are no pipe operators
	// or function sinks. The per-record meta table is then skipped.
	needMeta bool
}

// driverSrc builds step, one step of the handler, and loop, the body of the
// main state's driver coroutine. After each step loop asks take (the Go
// function instance.next) for the following queued step and runs it at once;
// only when take returns nothing does it yield DONE to the scheduler, which
// resumes it with the next step later. Worker states call step directly.
// Record steps (kind 1) go straight to the chain from loop, and out is only
// called for a value: per record, that saves a Lua call and, for records the
// handler drops, a Go call.
const driverSrc = `local ops, fn, out, yield, DONE, take = ...
local n = #ops
local chains = {}
chains[n + 1] = function(v, m)
  local r, k = fn(v, m)
  if r ~= nil then out(m, r, k) end
end
for i = n, 1, -1 do
  local op, nxt = ops[i], chains[i + 1]
  local push = op.push
  chains[i] = function(v, m) push(op, v, m, nxt) end
end
local first = chains[1]
local function step(kind, v, m)
  if kind == 1 then
    first(v, m)
  elseif kind == 2 then
    for i = 1, n do
      local op = ops[i]
      if op.flush then op:flush(chains[i + 1]) end
    end
  else
    local op = ops[v]
    local tick = op.tick or op.flush
    if tick then tick(op, chains[v + 1]) end
  end
end
local function loop(kind, v, m)
  while true do
    if kind == 1 then first(v, m) else step(kind, v, m) end
    kind, v, m = take()
    if not kind then kind, v, m = yield(DONE) end
  end
end
return step, loop`

func newInstance(s *State, h *Handler, spec *HandlerSpec) (*instance, error) {
	in := &instance{h: h, s: s, spec: spec, needMeta: len(spec.Pipe) > 0}
	if p := spec.Fn.Proto; p == nil || p.NumParameters >= 2 || p.IsVarArg != 0 {
		in.needMeta = true
	}
	for _, ref := range spec.Sinks {
		if ref.Fn != nil || ref.Encode != nil {
			in.needMeta = true
		}
	}
	L := s.L
	drv, err := s.Load([]byte(driverSrc), "=[handler]")
	if err != nil {
		return nil, err
	}
	ops := L.CreateTable(len(spec.Pipe), 0)
	for i, op := range spec.Pipe {
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
	res, err := s.CallValues(drv, 2, ops, spec.Fn, out, L.GetField(L.GetGlobal("coroutine"), "yield"), done, next)
	if err != nil {
		return nil, err
	}
	in.step = res[0].(*glua.LFunction)
	in.loop = res[1].(*glua.LFunction)
	return in, nil
}

// runStep runs one queued step in the main state's driver coroutine. The
// driver may go on with further queued steps in the same resume (next).
func (in *instance) runStep(q queued) {
	sc := in.s.rt.sch
	kind, v, m, ok := in.prepare(&q)
	if !ok {
		return
	}
	if in.drv == nil {
		in.drv = sc.newDriver(in, in.loop, in.stepDone, in.driverDied)
		in.drv.fn = in.loop
	}
	in.h.busy = true
	in.stepsRun = 1
	sc.resume(in.drv, kind, v, m)
}

// next is called by the driver loop (main state) after each step. It ends
// that step as the scheduler did after a yield (the record's ack, cur) and
// returns the driver arguments of the next queued step, or nothing: the
// driver then yields and stepDone lets pump take over.
//
// Batching invariants: the handler stays busy for the whole batch, so pump
// (the only other consumer of h.queue) does not run meanwhile, and steps are
// taken from the head of the queue in order. A batch ends at
// maxStepsPerResume steps, when the run failed (pump drops the records left)
// or is stopping, so those cases take exactly the path they took without
// batching. A step that waits (State.Await) yields the coroutine as before;
// when it is resumed, the batch goes on within the same bound.
func (in *instance) next(L *glua.LState) int {
	in.endStep()
	for in.mayBatch() {
		q := in.h.queue.pop()
		in.stepsRun++
		kind, v, m, ok := in.prepare(&q)
		// prepare may have run Lua in the main thread (a codec's decode
		// function, a dead-letter sink); coroutines used there leave
		// gopher-lua's current thread at the main thread. This coroutine
		// is the one running again.
		L.G.CurrentThread = L
		if ok {
			L.Push(kind)
			L.Push(v)
			L.Push(m)
			return 3
		}
	}
	return 0
}

// mayBatch reports whether the driver may run the next queued step without
// yielding to the scheduler first. A failure stops the run (Fail calls Stop
// before it returns), so stopping covers the run having failed as well; a
// failure in another goroutine is not ordered with the steps anyway.
func (in *instance) mayBatch() bool {
	return in.h.queue.len() > 0 && in.stepsRun < maxStepsPerResume && !in.h.rt.isStopping()
}

// endStep ends the current step of a driver that finished it normally: the
// step's part of the record's ack is done.
func (in *instance) endStep() {
	in.finishAck(nil)
	in.cur = nil
}

// stepDone: the driver yielded after finishing a step; next already ended it.
func (in *instance) stepDone() {
	in.h.busy = false
	in.h.pump()
}

// driverDied: the step raised an error; the coroutine is dead.
func (in *instance) driverDied(err error) {
	rec := in.cur
	in.cur = nil
	in.drv = nil
	in.h.busy = false
	if errors.Is(err, ErrStopped) {
		// Interrupted by the stop: not done, so not acked; an
		// at-least-once source delivers it again.
		in.finishAck(ErrStopped)
	} else {
		in.scriptError(rec, err)
		in.finishAck(nil)
	}
	in.h.pump()
}

// runDirect runs one step in a worker state, without a coroutine.
func (in *instance) runDirect(q queued) {
	kind, v, m, ok := in.prepare(&q)
	if !ok {
		return
	}
	in.s.workerCur = in
	_, err := in.s.CallValues(in.step, 0, kind, v, m)
	in.s.workerCur = nil
	rec := in.cur
	in.cur = nil
	switch {
	case errors.Is(err, ErrStopped):
		in.finishAck(ErrStopped)
		return
	case err != nil:
		in.scriptError(rec, err)
	}
	in.finishAck(nil)
}

// prepare converts a queued step to driver arguments; bad input is handled
// here and reports ok = false.
func (in *instance) prepare(q *queued) (kind, v, m glua.LValue, ok bool) {
	switch q.kind {
	case stepFlush:
		in.cur = nil
		in.meta = glua.LNil
		return glua.LNumber(stepFlush), glua.LNil, glua.LNil, true
	case stepFlushOp:
		in.cur = nil
		return glua.LNumber(stepFlushOp), glua.LNumber(q.opIdx), glua.LNil, true
	}
	if q.rec.Valid != nil && !q.rec.Valid() {
		return nil, nil, nil, false // stale: its partition was sought elsewhere
	}
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
		return nil, nil, nil, false
	}
	in.cur = rec
	in.s.BeginRecord()
	v = in.s.ToLua(rec.Value)
	if in.spec.Decode != nil {
		res, err := in.s.CallValues(in.spec.Decode, 1, v)
		if err != nil {
			in.cur = nil
			in.fail(rec, &connectors.BadInputError{Source: rec.Source, Pos: rec.Pos, Err: fmt.Errorf("decode: %s", err)}, exitcode.BadInput)
			in.finishAck(nil)
			return nil, nil, nil, false
		}
		v = res[0]
	}
	in.meta = glua.LNil
	if in.needMeta {
		in.meta = in.s.MetaTable(rec)
	}
	return glua.LNumber(stepRecord), v, in.meta, true
}

// MetaTable builds the meta table of a record: source, key, time and the
// source's own metadata.
func (s *State) MetaTable(rec *connectors.Record) *glua.LTable {
	t := s.L.CreateTable(0, 3+len(rec.Meta))
	t.RawSetString("source", glua.LString(rec.Source))
	if rec.Key != nil {
		t.RawSetString("key", s.toLua(rec.Key))
		s.noteGoNumber(t, glua.LString("key"), rec.Key)
	}
	if !rec.Time.IsZero() {
		t.RawSetString("time", glua.LNumber(float64(rec.Time.UnixNano())/1e9))
	}
	// The source's own fields in sorted order, so that pairs(meta) and
	// json.encode(meta) give the same order for every record.
	var buf [8]string
	keys := buf[:0]
	for k := range rec.Meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t.RawSetString(k, s.toLua(rec.Meta[k]))
	}
	return t
}

// finishAck ends the current record's step for its ack tracker. A record
// that failed under on_error = "stop" is not acked: the run stops, and an
// at-least-once source must deliver it again.
func (in *instance) finishAck(err error) {
	t := in.ack
	in.ack = nil
	if t == nil {
		return
	}
	if in.h.rt.failed() != nil && err == nil {
		err = errRunFailed
	}
	t.done(err)
}

func (in *instance) scriptError(rec *connectors.Record, err error) {
	if rec == nil {
		in.h.rt.Fail(err)
		return
	}
	in.fail(rec, fmt.Errorf("%w (record %s)", err, rec.Where()), exitcode.Of(err))
}

// fail applies the handler's on_error policy to a record that failed.
func (in *instance) fail(rec *connectors.Record, err error, code int) {
	h := in.h
	h.nErr.Add(1)
	switch in.spec.OnError {
	case OnErrorSkip:
		h.nSkipped.Add(1)
		if h.logged.Add(1) <= 10 {
			h.rt.log.Warn("record skipped", "handler", h.name, "error", err.Error())
		}
	case OnErrorSink:
		L := in.s.L
		t := L.CreateTable(0, 3)
		t.RawSetString("error", glua.LString(err.Error()))
		switch {
		case rec.Err != nil:
			t.RawSetString("value", glua.LString(rec.Raw))
		default:
			t.RawSetString("value", in.s.ToLua(rec.Value))
		}
		meta := in.s.MetaTable(rec)
		if rec.Pos > 0 {
			meta.RawSetString("pos", glua.LNumber(rec.Pos))
		}
		t.RawSetString("meta", meta)
		if werr := in.writeTo(*in.spec.ErrSink, t, glua.LNil, meta); werr != nil {
			h.rt.Fail(fmt.Errorf("dead-letter sink of %s: %w", h.name, werr))
		}
	default:
		h.rt.Fail(&exitcode.Error{Code: code, Err: err})
	}
}

// current returns the instance whose handler runs in L (for emit).
func (s *State) current(L *glua.LState) *instance {
	if s.IsMain() {
		if t := s.rt.sch.tasks[L]; t != nil {
			return t.inst
		}
		return nil
	}
	return s.workerCur
}

// Emit writes v (with key) to the sinks of the handler running in L, or to
// stdout outside handlers (hooks, the top level). Raises on sink errors.
func (s *State) Emit(L *glua.LState, v, key glua.LValue) {
	if v == glua.LNil {
		return
	}
	if in := s.current(L); in != nil {
		in.write(L, v, key, in.meta)
		return
	}
	if s.rt == nil {
		L.RaiseError("emit: only allowed while a handler runs")
	}
	if s.Worker > 0 && s.topLevel {
		return // worker states re-run the top level silently
	}
	if err := s.WriteStdout(v); err != nil {
		L.RaiseError("emit: %v", err)
	}
}

// raiseOutputError raises an error of writing a handler's output,
// positioned: a sink function's own error already names its line; otherwise
// the line where the handler function is defined stands in (the driver chunk
// has none).
func (in *instance) raiseOutputError(L *glua.LState, err error) {
	var se *ScriptError
	if errors.As(err, &se) {
		se.raise(L)
	}
	line := 0
	if p := in.spec.Fn.Proto; p != nil {
		line = p.LineDefined
	}
	L.Error(glua.LString(fmt.Sprintf("%s:%d: handler %s: %v", in.s.scriptName(), line, in.h.name, err)), 0)
}

// write sends one output to every sink of the instance, raising in L on error.
func (in *instance) write(L *glua.LState, v, key, meta glua.LValue) {
	if err := in.writeAll(v, key, meta); err != nil {
		var se *ScriptError
		if errors.As(err, &se) {
			se.raise(L)
		}
		L.RaiseError("%v", err)
	}
}

func (in *instance) writeAll(v, key, meta glua.LValue) error {
	in.h.nOut.Add(1)
	for i := range in.spec.Sinks {
		if err := in.writeTo(in.spec.Sinks[i], v, key, meta); err != nil {
			return err
		}
	}
	return nil
}

func (in *instance) writeTo(ref SinkRef, v, key, meta glua.LValue) error {
	return in.s.writeRef(ref, v, key, meta, in.cur, in.ack)
}

func (s *State) writeRef(ref SinkRef, v, key, meta glua.LValue, src *connectors.Record, ack *ackTracker) error {
	if ref.Fn != nil {
		_, err := s.CallValues(ref.Fn, 0, v, key, meta)
		return err // a *ScriptError naming the sink function's line
	}
	if ref.Encode != nil {
		res, err := s.CallValues(ref.Encode, 1, v)
		if err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		v = res[0]
	}
	if ref.NeedKey && key == glua.LNil {
		return errors.New("sink needs a key: return value, key (or emit(value, key))")
	}
	gv, err := s.FromLua(v)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	rec := connectors.Record{Value: gv}
	if key != glua.LNil {
		if rec.Key, err = s.FromLua(key); err != nil {
			return fmt.Errorf("output key: %w", err)
		}
	}
	if src != nil {
		rec.Time = src.Time
		rec.Source = src.Source
		rec.Pos = src.Pos
	}
	if ack != nil && connectors.WritesAcked(ref.Go) {
		rec.Ack = ack.output()
	}
	return ref.Go.Write(context.Background(), rec)
}

// key computes the routing hash of rec with the handler's key function.
func (in *instance) key(rec *connectors.Record) (uint32, error) {
	v := in.s.ToLua(rec.Value)
	meta := in.s.MetaTable(rec)
	res, err := in.s.CallValues(in.spec.Key, 1, v, meta)
	if err != nil {
		return 0, fmt.Errorf("%w (key of record %s)", err, rec.Where())
	}
	var b strings.Builder
	b.WriteString(res[0].Type().String())
	b.WriteByte(':')
	b.WriteString(res[0].String())
	return hashString(b.String()), nil
}

// feed runs one source and broadcasts its records to every subscribed
// handler's buffer; a full buffer blocks the source (back-pressure).
type feed struct {
	rt      *Runtime
	derived bool
	src     connectors.Source
	subs    []chan connectors.Record
	started bool
	mu      sync.Mutex
	closed  bool
}

func (f *feed) emit(ctx context.Context, rec connectors.Record) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return context.Canceled
	}
	rec.Ack = fanoutAck(rec.Ack, len(f.subs))
	for _, c := range f.subs {
		select {
		case c <- rec:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (f *feed) run(ctx context.Context) {
	done := make(chan error, 1)
	go func() { done <- f.src.Run(ctx, f.emit) }()
	var err error
	if f.derived {
		err = <-done // derived sources deliver what they hold, then return
	} else {
		select {
		case err = <-done:
		case <-ctx.Done():
			// A source blocked in a read that cannot be interrupted (stdin)
			// is abandoned; what it delivered is still drained.
		}
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		// Fail before closing, so the run cannot end as a success first.
		f.rt.Fail(err) // connectors name the source in their errors
	}
	f.mu.Lock()
	f.closed = true
	for _, c := range f.subs {
		close(c)
	}
	f.mu.Unlock()
}

// WriteTo writes one value to a sink of this state (late records of a
// window, for instance), outside any handler's outputs.
func (s *State) WriteTo(ref SinkRef, v, key, meta glua.LValue) error {
	return s.writeRef(ref, v, key, meta, nil, nil)
}

// WriteStdout writes v to the run's stdout sink (print, emit outside handlers).
func (s *State) WriteStdout(v glua.LValue) error {
	return s.writeRef(SinkRef{Go: s.rt.stdoutSink}, v, glua.LNil, glua.LNil, nil, nil)
}
