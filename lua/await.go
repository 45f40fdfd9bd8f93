package lua

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	glua "github.com/yuin/gopher-lua"
)

// Results converts the results of a waiting call into Lua values. It runs in
// the goroutine that owns the state, after the wait.
type Results func(s *State) []glua.LValue

// Await runs fn in its own goroutine and returns its results to Lua. In a
// coroutine of the main state (handlers, hooks, the top level) the calling
// coroutine yields and other handlers run meanwhile; elsewhere (worker states,
// pipe, user coroutines) it blocks this state. fn must not touch L.
//
// Use it as the body of a function made with WaitingFunc:
//
//	return s.Await(L, func(ctx context.Context) (Results, error) {...})
//
// ctx is cancelled when the run ends (not on a graceful stop: in-flight calls
// complete while the run drains).
func (s *State) Await(L *glua.LState, fn func(ctx context.Context) (Results, error)) int {
	ctx := context.Background()
	interruptible := false
	if s.rt != nil {
		// Handlers and the top level are interrupted by a stop (the record
		// is not acked and comes again); on_stop hooks run to completion.
		ctx, interruptible = s.rt.runCtx, s.Interruptible(L)
		if interruptible {
			ctx = s.rt.stopCtx
		}
	}
	// A handler's timeout ends the wait too (limits.go).
	ctx, step, cancelStep := s.withStepTimeout(ctx, L)
	var timeout time.Duration
	if in := s.current(L); in != nil {
		timeout = in.spec.Timeout
	}
	call := func(ctx context.Context) (Results, error) {
		defer cancelStep()
		res, err := fn(ctx)
		if err != nil && step != nil && step.Err() != nil {
			return res, timeoutOf(step, timeout, err)
		}
		if err != nil && interruptible && ctx.Err() != nil {
			err = ErrStopped // cut short by the stop, not a failure
		}
		return res, err
	}
	if s.IsMain() {
		if t := s.rt.sch.tasks[L]; t != nil && !crossesGoCall(L) {
			t.awaiting = true
			sc := s.rt.sch
			// A virtual clock waits for this goroutine; a sleep in fn
			// parks it and the records of the handler waiting for it.
			hold, ctx := s.rt.hold(ctx)
			ctx = s.parkers(ctx, L, false)
			go func() {
				defer doneHold(hold)
				res, err := call(ctx)
				sc.post(func() {
					t.awaiting = false
					if err != nil {
						sc.resume(t, glua.LFalse, s.errorValue(err))
						return
					}
					args := []glua.LValue{glua.LTrue}
					if res != nil {
						args = append(args, res(s)...)
					}
					sc.resume(t, args...)
				})
			}()
			return L.Yield()
		}
	}
	res, err := call(s.parkers(ctx, L, true))
	if err != nil {
		L.Push(glua.LFalse)
		L.Push(s.errorValue(err))
		return 2
	}
	L.Push(glua.LTrue)
	n := 1
	if res != nil {
		for _, v := range res(s) {
			L.Push(v)
			n++
		}
	}
	return n
}

// crossesGoCall reports whether a Go function (pcall, a sink callback, a
// metamethod called from Go) sits between the waiting call and the base of the
// coroutine: gopher-lua cannot yield across it, so the call then blocks.
func crossesGoCall(L *glua.LState) bool {
	for level := 1; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			return false
		}
		fn, err := L.GetInfo("f", dbg, glua.LNil)
		if err != nil {
			return true
		}
		if f, ok := fn.(*glua.LFunction); ok && f.IsG {
			return true
		}
	}
}

// errorValue is the Lua value a failed wait returns to the wrapper: the
// message, or the stop marker, which unwinds without a position.
func (s *State) errorValue(err error) glua.LValue {
	if errors.Is(err, ErrStopped) {
		return s.stopMarker
	}
	return glua.LString(err.Error())
}

const waitWrapperSrc = `local error, select, unpack, STOP = error, select, unpack, ...
local function pack(...) return {n = select("#", ...), ...} end
return function(raw)
  return function(...)
    local r = pack(raw(...))
    if not r[1] then
      if r[2] == STOP then error(STOP, 0) end
      error(r[2], 3)
    end
    return unpack(r, 2, r.n)
  end
end`

// WaitingFunc makes a Lua function from raw, a Go function whose body is an
// Await: the result raises the error of a failed wait at the caller's line
// ("job.lua:7: http.get: ...") and returns raw's results otherwise.
func (s *State) WaitingFunc(raw glua.LGFunction) *glua.LFunction {
	if s.waitWrapper == nil {
		fn, err := s.L.Load(strings.NewReader(waitWrapperSrc), "=[streamctl]")
		if err != nil {
			panic(fmt.Sprintf("wait wrapper: %v", err)) // a bug in the constant above
		}
		s.L.Push(fn)
		s.L.Push(s.stopMarker)
		s.L.Call(1, 1)
		s.waitWrapper = s.L.Get(-1).(*glua.LFunction)
		s.L.Pop(1)
	}
	s.L.Push(s.waitWrapper)
	s.L.Push(s.L.NewFunction(raw))
	s.L.Call(1, 1)
	f := s.L.Get(-1).(*glua.LFunction)
	s.L.Pop(1)
	return f
}
