package lua

import (
	"context"
	"errors"
	"fmt"

	glua "github.com/yuin/gopher-lua"
)

// scheduler runs coroutines of the main state. It is driven by one goroutine
// (the one in Runtime.Run); other goroutines hand it work with post. Lua code
// between two waiting calls therefore runs atomically.
type scheduler struct {
	rt      *Runtime
	s       *State
	events  chan func()
	tasks   map[*glua.LState]*task
	running int // live transient tasks (top level, hooks); handler drivers are not counted
	done    *glua.LUserData
}

// task is one coroutine: the top level, a hook, or a handler's driver loop.
type task struct {
	co       *glua.LState
	fn       *glua.LFunction
	awaiting bool
	// noInterrupt: waiting calls are not cut short by the run stopping
	// (on_stop hooks run while the run drains).
	noInterrupt bool
	inst        *instance // handler driver tasks
	// onYield is called when the coroutine yielded the done marker (a
	// handler driver finished one step). Nil for transient tasks.
	onYield func()
	onDone  func(err error)
	// onResult receives the values the function returned (before onDone).
	onResult func(vals []glua.LValue)
	args     []glua.LValue // arguments of the first resume
}

func newScheduler(rt *Runtime) *scheduler {
	sc := &scheduler{rt: rt, s: rt.main, events: make(chan func(), 1024), tasks: map[*glua.LState]*task{}}
	sc.done = rt.main.L.NewUserData()
	return sc
}

// post hands fn to the scheduler goroutine. Safe from any goroutine.
func (sc *scheduler) post(fn func()) {
	sc.rt.Busy(1) // until it ran (loop)
	sc.events <- fn
}

// postAsync is post without waiting for room in the queue: for callers
// that must not block (Stop). fn does not run if the run ends first.
func (sc *scheduler) postAsync(fn func()) {
	sc.rt.Busy(1)
	go func() {
		select {
		case sc.events <- fn:
		case <-sc.rt.runCtx.Done():
		}
	}()
}

// sendCtx hands fn to the scheduler unless ctx or the run ends first; it
// reports whether it did.
func (sc *scheduler) sendCtx(ctx context.Context, fn func()) bool {
	sc.rt.Busy(1)
	select {
	case sc.events <- fn:
		return true
	case <-ctx.Done():
	case <-sc.rt.runCtx.Done():
	}
	sc.rt.Busy(-1)
	return false
}

// loop runs posted work until cond is true. When nothing is queued it
// flushes the sinks first, so output is never held back while waiting.
func (sc *scheduler) loop(cond func() bool) {
	for !cond() {
		var fn func()
		select {
		case fn = <-sc.events:
		default:
			if err := sc.rt.flushSinks(true); err != nil {
				sc.rt.Fail(fmt.Errorf("flush output: %w", err))
			}
			if h := sc.rt.runHold; h != nil {
				h.Park()
				fn = <-sc.events
				h.Unpark()
			} else {
				fn = <-sc.events
			}
		}
		fn()
		sc.rt.Busy(-1) // the event's unit (post)
	}
}

// spawn starts fn as a transient coroutine; onDone runs when it ends.
func (sc *scheduler) spawn(fn *glua.LFunction, onDone func(err error)) {
	sc.spawnTask(&task{fn: fn, onDone: onDone})
}

// spawnTask starts t (fn, onDone and flags set) as a transient coroutine.
func (sc *scheduler) spawnTask(t *task) {
	co, _ := sc.s.L.NewThread()
	t.co = co
	args := t.args
	t.args = nil
	sc.tasks[co] = t
	sc.running++
	sc.resume(t, args...)
}

// newDriver starts a long-lived coroutine for a handler instance.
func (sc *scheduler) newDriver(inst *instance, fn *glua.LFunction, onYield func(), onDone func(error)) *task {
	co, _ := sc.s.L.NewThread()
	t := &task{co: co, fn: fn, inst: inst, onYield: onYield, onDone: onDone}
	sc.tasks[co] = t
	return t
}

// resume runs t until it yields or ends.
func (sc *scheduler) resume(t *task, args ...glua.LValue) {
	st, err, vals := sc.protectedResume(t, args)
	switch st {
	case glua.ResumeOK:
		if t.onResult != nil {
			t.onResult(vals)
		}
		sc.finish(t, nil)
	case glua.ResumeError:
		sc.finish(t, sc.s.scriptError(err))
	case glua.ResumeYield:
		if t.awaiting {
			return // resumed by the completion of the waiting call
		}
		if t.onYield != nil && len(vals) > 0 && vals[0] == sc.done {
			t.onYield()
			return
		}
		sc.finish(t, errors.New("coroutine.yield called outside a coroutine the script created"))
	}
}

func (sc *scheduler) finish(t *task, err error) {
	delete(sc.tasks, t.co)
	if t.onYield == nil {
		sc.running--
	}
	if t.onDone != nil {
		t.onDone(err)
	}
}

// Later runs fn in the main state's goroutine after the Lua code running
// now has yielded or ended, without waiting for it. Safe from any
// goroutine, the scheduler's own included; fn does not run if the run ends
// first.
func (rt *Runtime) Later(fn func()) { rt.sch.postAsync(fn) }

// InMain runs fn in the main state's goroutine and waits for it. It must not
// be called from the scheduler goroutine itself (a handler or hook): there
// Lua already runs in the main state. fn must not wait.
func (rt *Runtime) InMain(ctx context.Context, fn func(s *State) error) error {
	done := make(chan error, 1)
	if !rt.sch.sendCtx(ctx, func() { done <- fn(rt.main) }) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errors.New("the run has ended")
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// protectedResume is L.Resume turning a gopher-lua panic (an error raised
// where it cannot be caught) into an error of the task, never a crash.
func (sc *scheduler) protectedResume(t *task, args []glua.LValue) (st glua.ResumeState, err error, vals []glua.LValue) {
	defer func() {
		if r := recover(); r != nil {
			st, err, vals = glua.ResumeError, fmt.Errorf("%v", r), nil
			t.co.Dead = true
		}
	}()
	return sc.s.L.Resume(t.co, t.fn, args...)
}

// CallMain calls fn in the main state as a coroutine, so it may wait, and
// waits for it: args builds its arguments and results reads its return
// values, both in the main state's goroutine. Safe from any goroutine but
// the scheduler's own (handlers and hooks); for HTTP request handlers.
func (rt *Runtime) CallMain(ctx context.Context, fn *glua.LFunction, args func(s *State) []glua.LValue, results func(s *State, vals []glua.LValue) error) error {
	done := make(chan error, 1)
	post := func() {
		var a []glua.LValue
		if args != nil {
			a = args(rt.main)
		}
		var resErr error
		rt.sch.spawnTask(&task{fn: fn, args: a, noInterrupt: true,
			onResult: func(vals []glua.LValue) {
				if results != nil {
					resErr = results(rt.main, vals)
				}
			},
			onDone: func(err error) {
				if err == nil {
					err = resErr
				}
				done <- err
			}})
	}
	if !rt.sch.sendCtx(ctx, post) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errors.New("the run has ended")
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
