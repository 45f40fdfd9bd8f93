package lua

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	in.endTimeout(L)
	in.stepCtx, in.stepCancel = context.WithTimeout(context.Background(), d)
	L.SetContext(in.stepCtx)
}

// endTimeout ends the timeout begun in L, if any.
func (in *instance) endTimeout(L *glua.LState) {
	if in.stepCancel == nil {
		return
	}
	in.stepCancel()
	in.stepCtx, in.stepCancel = nil, nil
	L.RemoveContext()
}

// timedOut reports whether the running call passed its timeout.
func (in *instance) timedOut() bool {
	return in.stepCtx != nil && errors.Is(in.stepCtx.Err(), context.DeadlineExceeded)
}

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
