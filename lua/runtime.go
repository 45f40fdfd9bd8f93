package lua

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/clock"
	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/exitcode"
)

// Options configure a run. Zero values take the defaults given per field.
type Options struct {
	// Script is the script's name as errors show it ("job.lua").
	Script string
	// Source is the script text.
	Source []byte
	// Modules are opened in every Lua state, in order.
	Modules []Module
	// Logger receives runtime and script logs. Default: discard.
	Logger *slog.Logger
	// Stdin, Stdout and Stderr default to the process's.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv looks up environment variables. Default: os.LookupEnv.
	Getenv func(string) (string, bool)
	// State is the run's persistent state, committed with the positions of
	// its sources (see commits); nil for none.
	State StateCommitter
	// Clock is the time of the run: tickers of pipe operators and windows
	// wait on it. Default: clock.Real. A *clock.Virtual (`streamctl test`)
	// is told what work is left (vclock.go); it must be moved by its Run,
	// and the run then makes no periodic commits, only the last one.
	Clock clock.Clock
	// HandlerTimeout is how long one call of a handler may run before it
	// is stopped and handed to on_error, for handlers that set no timeout
	// (HandlerSpec.Timeout); 0: no limit. `run --timeout`.
	HandlerTimeout time.Duration
	// MaxValueSize bounds, in bytes, the strings and tables that Lua's
	// allocating library functions make (string.rep, table.concat, ...);
	// 0: DefaultMaxValueSize. `run --max-value-size`.
	MaxValueSize int64
}

// Runtime runs one script: its main Lua state, its handlers and their
// worker states. Create it with New and call Run once.
type Runtime struct {
	opts Options
	log  *slog.Logger

	clock    clock.Clock
	virtual  *clock.Virtual // Options.Clock when it is virtual, else nil
	runHold  *clock.Hold    // virtual: the unit of Run's goroutine
	vRecords atomic.Int64   // virtual: records in flight (vqueue)

	main *State
	sch  *scheduler

	runCtx    context.Context // cancelled when Run returns
	runCancel context.CancelFunc
	// stopCtx is cancelled when the run begins to stop: waiting calls of
	// handlers and the top level end with it (on_stop hooks use runCtx).
	stopCtx    context.Context
	stopCancel context.CancelFunc
	srcCtx     context.Context // cancelled to stop sources (stop(), signal, fatal error)
	srcCancel  context.CancelFunc
	// derivedCtx stops derived sources once the other handlers finished.
	derivedCtx    context.Context
	derivedCancel context.CancelFunc
	stopping      chan struct{}
	stopOnce      sync.Once
	errMu         sync.Mutex
	err           error // first fatal error
	signalled     bool
	stdoutSink    connectors.Sink
	stdout        *sharedWriter
	// stdinSrc is the run's one stdin source (StdinSource).
	stdinMu  sync.Mutex
	stdinSrc *connectors.ReaderSource

	mu       sync.Mutex
	sharedBy map[string]any
	closers  []func(context.Context) error
	flushers []connectors.Sink
	feeds    []*feed

	handlers []*Handler
	commits  *commits    // nil when the run commits no state
	txn      Transaction // UseTransaction; guarded by mu
	// handlersMu guards appending to handlers (the top level, in the
	// scheduler's goroutine) against Handlers (a /metrics scrape).
	handlersMu sync.Mutex
	keepAlive  atomic.Int64
	onStart    []*glua.LFunction
	onStop     []*glua.LFunction
	workerWG   sync.WaitGroup
}

// New prepares a run; nothing starts until Run.
func New(opts Options) *Runtime {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if opts.Getenv == nil {
		opts.Getenv = os.LookupEnv
	}
	if opts.Script == "" {
		opts.Script = "script.lua"
	}
	rt := &Runtime{opts: opts, log: opts.Logger, stopping: make(chan struct{}), sharedBy: map[string]any{}}
	rt.clock = clock.Or(opts.Clock)
	if v, ok := opts.Clock.(*clock.Virtual); ok {
		// Held from now: the clock must not move before Run started.
		rt.virtual, rt.runHold = v, v.Hold()
	}
	rt.stdout = newSharedWriter(opts.Stdout)
	text, _ := codec.Lookup("text")
	rt.stdoutSink = rt.NewStdoutSink(text)
	return rt
}

// Logger returns the run's logger.
func (rt *Runtime) Logger() *slog.Logger { return rt.log }

// Stderr returns the process error writer.
func (rt *Runtime) Stderr() io.Writer { return rt.opts.Stderr }

// StdoutSink is the default sink of handlers: stdout with the text codec.
func (rt *Runtime) StdoutSink() connectors.Sink { return rt.stdoutSink }

// Getenv looks up an environment variable.
func (rt *Runtime) Getenv(name string) (string, bool) { return rt.opts.Getenv(name) }

// Context is cancelled when the run ends; pass it to I/O started by bindings.
func (rt *Runtime) Context() context.Context { return rt.runCtx }

// Stopping is closed when the run begins to stop.
func (rt *Runtime) Stopping() <-chan struct{} { return rt.stopping }

// OnClose registers fn to run when the run ends, after sinks are flushed, in
// reverse order of registration (gopher-lua has no __gc: bindings register
// what they open here).
func (rt *Runtime) OnClose(fn func(context.Context) error) {
	rt.mu.Lock()
	rt.closers = append(rt.closers, fn)
	rt.mu.Unlock()
}

// AddSink registers a sink to flush when the run is idle and close at the
// end, and returns it wrapped for use by several goroutines (worker states).
// Use the returned sink.
func (rt *Runtime) AddSink(s connectors.Sink) connectors.Sink {
	l := connectors.Locked(s)
	rt.mu.Lock()
	rt.flushers = append(rt.flushers, l)
	rt.mu.Unlock()
	return l
}

// shared implements State.Shared.
func (rt *Runtime) shared(key string, isMain bool, build func() (any, error)) (any, error) {
	rt.mu.Lock()
	v, ok := rt.sharedBy[key]
	rt.mu.Unlock()
	if ok {
		return v, nil
	}
	if !isMain {
		return nil, fmt.Errorf("worker state: the top level created %s, which the main state did not; keep the top level deterministic", key)
	}
	v, err := build()
	if err != nil {
		return nil, err
	}
	rt.mu.Lock()
	rt.sharedBy[key] = v
	rt.mu.Unlock()
	return v, nil
}

// KeepAlive keeps the run going after its handlers finished (a server
// answering requests) until Stop, a signal or a fatal error. Call it from the
// main state; release undoes it. Safe for concurrent use.
func (rt *Runtime) KeepAlive() (release func()) {
	rt.keepAlive.Add(1)
	var once sync.Once
	return func() {
		once.Do(func() {
			rt.keepAlive.Add(-1)
			rt.sch.post(func() {}) // let the scheduler re-check
		})
	}
}

func (rt *Runtime) isStopping() bool {
	select {
	case <-rt.stopping:
		return true
	default:
		return false
	}
}

// Stop asks the run to end gracefully: sources stop, what was read is drained
// through handlers and sinks, on_stop hooks run. Safe from any goroutine.
func (rt *Runtime) Stop() {
	rt.stopOnce.Do(func() {
		close(rt.stopping)
		if rt.stopCancel != nil {
			rt.stopCancel()
		}
		if rt.srcCancel != nil {
			rt.srcCancel()
		}
		if rt.sch != nil {
			rt.sch.postAsync(func() {}) // wake the scheduler to re-check
		}
	})
}

// Fail records a fatal error (the first one wins) and stops the run.
func (rt *Runtime) Fail(err error) {
	rt.errMu.Lock()
	if rt.err == nil {
		rt.err = err
	}
	rt.errMu.Unlock()
	rt.Stop()
}

func (rt *Runtime) failed() error {
	rt.errMu.Lock()
	defer rt.errMu.Unlock()
	return rt.err
}

// Run runs the script: 1. the top level runs once in the main state (as a
// coroutine, so it may wait); 2. worker states are created for handlers with
// workers > 1; 3. on_start hooks run, then sources start and handlers process
// records until every finite source is exhausted and drained, stop() is
// called, or ctx is cancelled (a signal: exit code 130); 4. sinks are
// flushed and on_stop hooks run, each given the run's error message or nil;
// 5. sinks are flushed and closed, then everything registered with OnClose.
func (rt *Runtime) Run(ctx context.Context) (err error) {
	rt.runCtx, rt.runCancel = context.WithCancel(context.Background())
	defer rt.runCancel()
	defer doneHold(rt.runHold)
	rt.stopCtx, rt.stopCancel = context.WithCancel(rt.runCtx)
	rt.srcCtx, rt.srcCancel = context.WithCancel(rt.runCtx)
	defer rt.srcCancel()
	rt.derivedCtx, rt.derivedCancel = context.WithCancel(rt.srcCtx)
	defer rt.derivedCancel()
	go func() {
		select {
		case <-ctx.Done():
			rt.errMu.Lock()
			rt.signalled = true
			rt.errMu.Unlock()
			rt.Stop()
		case <-rt.runCtx.Done():
		}
	}()

	rt.main = newState(rt, 0)
	defer rt.main.Close()
	rt.sch = newScheduler(rt)
	defer func() { err = errors.Join(err, rt.closeAll()); err = rt.finalError(err) }()

	if err := rt.openModules(rt.main); err != nil {
		return err
	}
	chunk, err := rt.main.Load(rt.opts.Source, rt.opts.Script)
	if err != nil {
		return err
	}
	rt.main.script = chunk.Proto
	// 1. The top level, as a coroutine.
	topDone := false
	rt.main.topLevel = true
	rt.sch.spawn(chunk, func(err error) {
		rt.main.topLevel = false
		topDone = true
		if err != nil && !errors.Is(err, ErrStopped) {
			rt.Fail(err)
		}
	})
	rt.sch.loop(func() bool { return topDone })
	if e := rt.failed(); e != nil {
		return nil
	}
	// 2. Handlers and their workers, and where their sources resume.
	if err := rt.buildHandlers(); err != nil {
		rt.Fail(err)
		return nil
	}
	interval := rt.commitInterval()
	if rt.virtual != nil {
		// A commit waits for every record in flight, and a record may
		// wait on the clock: only the last commit, after the drain.
		interval = math.MaxInt64
	}
	rt.commits = newCommits(rt, rt.opts.State, interval)
	if err := rt.commits.resume(rt.feeds); err != nil {
		rt.Fail(err)
		return nil
	}
	// 3. on_start hooks, then sources.
	pending := 0
	for _, fn := range rt.onStart {
		pending++
		rt.sch.spawn(fn, func(err error) {
			pending--
			if err != nil && !errors.Is(err, ErrStopped) {
				rt.Fail(err)
			}
		})
	}
	rt.sch.loop(func() bool { return pending == 0 })
	if rt.failed() == nil {
		rt.commits.start()
		for _, h := range rt.handlers {
			h.start()
		}
		if len(rt.handlers) > 0 {
			allDerived := true
			for _, h := range rt.handlers {
				allDerived = allDerived && h.derived
			}
			if allDerived {
				rt.derivedCancel()
			}
		}
		rt.sch.loop(func() bool {
			for _, h := range rt.handlers {
				if !h.finished {
					return false
				}
			}
			if rt.keepAlive.Load() > 0 && !rt.isStopping() {
				return false
			}
			return rt.sch.running == 0
		})
	}
	rt.Stop()
	rt.workerWG.Wait()
	for _, h := range rt.handlers {
		h.logSummary()
	}
	// 4. on_stop hooks run even after a failure, but not after a syntax
	// error. They get the run's error message, or nil: first the sinks
	// deliver what the handlers wrote (Kafka acks included), so that a
	// hook printing "done" knows that it is.
	if rt.failed() == nil {
		if err := rt.flushSinks(false); err != nil {
			rt.Fail(fmt.Errorf("flush output: %w", err))
		}
	}
	var failure glua.LValue = glua.LNil
	if e := rt.failed(); e != nil {
		failure = glua.LString(e.Error())
	}
	pending = 0
	for _, fn := range rt.onStop {
		pending++
		rt.sch.spawnTask(&task{fn: fn, args: []glua.LValue{failure}, noInterrupt: true, onDone: func(err error) {
			pending--
			if err != nil {
				rt.Fail(err)
			}
		}})
	}
	rt.sch.loop(func() bool { return pending == 0 })
	// 5. The last commit, once everything drained.
	if err := rt.commits.close(); err != nil {
		rt.Fail(err)
	}
	return nil
}

// recordDone tells the commits that a handler is done with a record.
func (rt *Runtime) recordDone() {
	if rt.commits != nil {
		rt.commits.recordDone()
	}
}

// commitInterval is the least commit_interval of the handlers, 0 for the
// default.
func (rt *Runtime) commitInterval() time.Duration {
	var d time.Duration
	for _, h := range rt.handlers {
		if ci := h.spec.CommitInterval; ci > 0 && (d == 0 || ci < d) {
			d = ci
		}
	}
	return d
}

func (rt *Runtime) finalError(err error) error {
	if e := rt.failed(); e != nil {
		err = errors.Join(e, err)
	}
	if err != nil {
		return err
	}
	rt.errMu.Lock()
	defer rt.errMu.Unlock()
	if rt.signalled {
		return exitcode.ErrInterrupted
	}
	return nil
}

func (rt *Runtime) openModules(s *State) error { return s.OpenModules(rt.opts.Modules) }

// flushSinks pushes buffered output to the OS; called when the scheduler is
// idle (idle = true) and before state is made durable. When idle, sinks that
// ack their own writes (Kafka producers) are not flushed: their Flush waits
// for the broker, and their records are acked asynchronously anyway.
func (rt *Runtime) flushSinks(idle bool) error {
	rt.mu.Lock()
	sinks := rt.flushers // AddSink only appends: these stay as they are
	rt.mu.Unlock()
	var errs []error
	for _, s := range sinks {
		if idle && connectors.WritesAcked(s) {
			continue
		}
		if err := s.Flush(rt.runCtx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := rt.stdout.flushOS(); err != nil {
		errs = append(errs, fmt.Errorf("write stdout: %w", err))
	}
	return errors.Join(errs...)
}

// FlushSinks flushes every sink of the run (the "output before state" rule:
// bindings call it before making state durable). Call from the main state.
func (rt *Runtime) FlushSinks() error { return rt.flushSinks(false) }

func (rt *Runtime) closeAll() error {
	ctx := context.Background()
	var errs []error
	rt.mu.Lock()
	sinks := append([]connectors.Sink(nil), rt.flushers...)
	closers := append([]func(context.Context) error(nil), rt.closers...)
	rt.mu.Unlock()
	for _, s := range sinks {
		if err := s.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := rt.stdout.flushOS(); err != nil {
		errs = append(errs, fmt.Errorf("write stdout: %w", err))
	}
	for i := len(closers) - 1; i >= 0; i-- {
		if err := closers[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// errTopLevelOnly is returned by calls only allowed at the top level.
var errTopLevelOnly = errors.New("only allowed at the top level of the script")

// OnStart registers a hook run before sources start (top level only).
func (s *State) OnStart(fn *glua.LFunction) error {
	if !s.topLevel {
		return errTopLevelOnly
	}
	if s.IsMain() {
		s.rt.onStart = append(s.rt.onStart, fn)
	}
	return nil
}

// OnStop registers a hook run once after handlers drained (top level only).
func (s *State) OnStop(fn *glua.LFunction) error {
	if !s.topLevel {
		return errTopLevelOnly
	}
	if s.IsMain() {
		s.rt.onStop = append(s.rt.onStop, fn)
	}
	return nil
}
