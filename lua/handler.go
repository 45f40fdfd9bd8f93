package lua

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors"
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
	Decode *glua.LFunction
	Fn     *glua.LFunction
	// Operators are the pipe operators of opts.pipe, applied in order
	// before Fn: tables with push[, flush, tick, every].
	Operators []*glua.LTable
	Sinks     []SinkRef
	Workers   int
	Key       *glua.LFunction
	OnError   string   // OnErrorStop, OnErrorSkip or OnErrorSink
	ErrSink   *SinkRef // with OnErrorSink
	// CommitInterval is how often the state is committed with the
	// source's position (the least over handlers applies); 0 for the
	// default.
	CommitInterval time.Duration
	// Timeout stops a call of the handler (one record through the pipe and
	// the function) that runs longer, also inside a Lua loop, and hands it
	// to the on_error policy. 0: Options.HandlerTimeout; < 0: no limit.
	Timeout time.Duration
	// Retries is how many times a call that failed is made again before
	// the record meets on_error, waiting RetryBackoff, then twice as long
	// each time (at most MaxRetryBackoff); 0 for DefaultRetryBackoff.
	Retries      int
	RetryBackoff time.Duration
	// DeadLetterHeaders: the on_error sink is a Kafka topic, which gets
	// the record as it came in (its key and raw value), the error in its
	// headers (deadLetter).
	DeadLetterHeaders bool
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
	if spec.Timeout == 0 && s.rt != nil {
		spec.Timeout = s.rt.opts.HandlerTimeout
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
		rt.handlers = append(rt.handlers, &Handler{rt: rt, index: len(rt.handlers), name: name, spec: spec, vq: rt.newVQueue()})
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
	// vq counts, for a virtual clock, the records handed to the handler
	// that its instance (workers: its dispatcher) has yet to finish.
	vq      *vqueue
	derived bool  // its source is Derived
	feed    *feed // the feed of its source

	nIn, nOut, nErr, nSkipped, nLate atomic.Int64
	logged                           atomic.Int64
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
		h.feed = f
		f.subs = append(f.subs, h.in)
		f.handlers = append(f.handlers, h)
		if h.spec.Workers == 1 {
			inst, err := newInstance(rt.main, h, h.spec)
			if err != nil {
				return err
			}
			inst.vq = h.vq
			h.inst = inst
			continue
		}
		for i := 1; i <= h.spec.Workers; i++ {
			inst, err := rt.newWorker(h, i)
			if err != nil {
				return err
			}
			inst.vq = rt.newVQueue()
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
	s.script = chunk.Proto
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
			f.start(ctx)
		}
	}
	for _, op := range h.spec.Operators {
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
