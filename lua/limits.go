package lua

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	glua "github.com/yuin/gopher-lua"
)

// The limits of a handler call (api.md's handle options and `run` flags):
// a timeout per call, checked by the VM at each instruction (gopher-lua's
// LState.SetContext) only for handlers that have one, so that others run
// the VM loop without the check; and a size limit on what Lua's allocating
// library functions build (sizelimit.go).

// errTimeoutText is the message gopher-lua raises when a state's context
// is done: ctx.Err() of a deadline.
var errTimeoutText = context.DeadlineExceeded.Error()

// beginTimeout starts the timeout of one call of the handler in L (the
// driver coroutine, or a worker state): L checks it at each instruction,
// and waiting calls made meanwhile end with it (Await). Nothing without a
// timeout.
func (in *instance) beginTimeout(L *glua.LState) {
	d := in.spec.Timeout
	if d <= 0 {
		return
	}
	if in.deadline == nil {
		in.deadline = newCallDeadline()
	}
	in.deadline.arm(d)
	in.stepCtx = in.deadline
	L.SetContext(in.deadline)
}

// endTimeout ends the timeout begun in L, if any.
func (in *instance) endTimeout(L *glua.LState) {
	if in.stepCtx == nil {
		return
	}
	in.deadline.disarm()
	in.stepCtx = nil
	L.RemoveContext()
}

// timedOut reports whether the running call passed its timeout.
func (in *instance) timedOut() bool {
	return in.stepCtx != nil && errors.Is(in.stepCtx.Err(), context.DeadlineExceeded)
}

// callDeadline is the context of a handler's calls under a timeout: one per
// instance, armed for each call, so that a call costs a timer reset rather
// than a new context and timer (context.WithTimeout made a handler 20%
// slower per record). Done is a channel closed when the armed call passes
// its deadline; the next arm makes a new one only after that happened.
// Safe for concurrent use.
type callDeadline struct {
	done  atomic.Pointer[chan struct{}]
	mu    sync.Mutex
	timer *time.Timer
	at    time.Time // of the armed call; zero while disarmed
	fired bool
}

func newCallDeadline() *callDeadline {
	d := &callDeadline{}
	ch := make(chan struct{})
	d.done.Store(&ch)
	d.timer = time.AfterFunc(time.Hour, d.fire)
	d.timer.Stop()
	return d
}

func (d *callDeadline) arm(dur time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fired {
		ch := make(chan struct{})
		d.done.Store(&ch)
		d.fired = false
	}
	d.at = time.Now().Add(dur)
	d.timer.Reset(dur)
}

func (d *callDeadline) disarm() {
	d.mu.Lock()
	d.at = time.Time{}
	d.timer.Stop()
	d.mu.Unlock()
}

// fire closes Done when the armed call passed its deadline; a timer of an
// earlier call that fires late finds a later deadline or none.
func (d *callDeadline) fire() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.at.IsZero() || d.fired || time.Now().Before(d.at) {
		return
	}
	d.fired = true
	close(*d.done.Load())
}

// Deadline implements context.Context.
func (d *callDeadline) Deadline() (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.at, !d.at.IsZero()
}

// Done implements context.Context: one atomic load, as the VM calls it at
// each instruction.
func (d *callDeadline) Done() <-chan struct{} { return *d.done.Load() }

// Err implements context.Context.
func (d *callDeadline) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fired {
		return context.DeadlineExceeded
	}
	return nil
}

// Value implements context.Context.
func (d *callDeadline) Value(any) any { return nil }

// timeoutError rewrites the error of a call stopped by its timeout: the VM
// raised "context deadline exceeded" at the line it was running.
func (in *instance) timeoutError(err error) error {
	if !in.timedOut() {
		return err
	}
	what := fmt.Sprintf("handler %s ran longer than its timeout of %s", in.h.name, in.spec.Timeout)
	var se *ScriptError
	if errors.As(err, &se) {
		// Stopped in Lua code ("job.lua:3: context deadline exceeded"), or
		// in a waiting call, whose error says so already. Stopped in
		// streamctl's own Lua (the wrapper of waiting calls), the line
		// where the handler function is defined stands in.
		msg := strings.Replace(se.Msg, errTimeoutText, what, 1)
		if strings.HasPrefix(msg, "=[") {
			if _, rest, ok := strings.Cut(msg, "]:"); ok {
				if _, text, ok := strings.Cut(rest, ": "); ok {
					line := 0
					if p := in.spec.Fn.Proto; p != nil {
						line = p.LineDefined
					}
					msg = fmt.Sprintf("%s:%d: %s", in.s.scriptName(), line, text)
				}
			}
		}
		return &ScriptError{Msg: msg, Err: ErrTimeout}
	}
	return fmt.Errorf("%s: %w", what, ErrTimeout)
}

// ErrTimeout is the error of a handler call stopped by its timeout
// (HandlerSpec.Timeout); on_error gets it.
var ErrTimeout = errors.New("handler timeout")

// withStepTimeout returns ctx, also done when the handler call running in L
// passes its timeout, and whether it has one; cancel releases it.
func (s *State) withStepTimeout(ctx context.Context, L *glua.LState) (_ context.Context, step context.Context, cancel func()) {
	in := s.current(L)
	if in == nil || in.stepCtx == nil {
		return ctx, nil, func() {}
	}
	merged, cancelMerged := context.WithCancel(ctx)
	stop := context.AfterFunc(in.stepCtx, cancelMerged)
	return merged, in.stepCtx, func() { stop(); cancelMerged() }
}

// timeoutOf returns the error of a wait that the handler's timeout cut
// short.
func timeoutOf(step context.Context, d time.Duration, err error) error {
	if step != nil && errors.Is(step.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("ran longer than the handler's timeout of %s: %w", d, ErrTimeout)
	}
	return err
}
