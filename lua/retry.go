package lua

import (
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/clock"
)

// Retries of a failed handler call (handle's retries and retry_backoff):
// the record goes through the pipe and the function again, from the
// start, after a delay on the run's clock that doubles each time; its
// effects from the failed attempt (cache writes, outputs) stay. Only when
// every retry failed does it meet on_error. The handler takes no other
// record meanwhile, so records keep their order.

// DefaultRetryBackoff is the delay before the first retry of a handler
// that sets retries but no retry_backoff; MaxRetryBackoff caps the delays.
const (
	DefaultRetryBackoff = time.Second
	MaxRetryBackoff     = time.Minute
)

// mayRetry reports whether the current record has a retry left.
func (in *instance) mayRetry() bool {
	return in.attempt < in.spec.Retries && !in.h.rt.isStopping()
}

// retryDelay is the wait before retry n (from 1).
func (in *instance) retryDelay(n int) time.Duration {
	d := in.spec.RetryBackoff
	if d <= 0 {
		d = DefaultRetryBackoff
	}
	for i := 1; i < n && d < MaxRetryBackoff; i++ {
		d *= 2
	}
	return min(d, MaxRetryBackoff)
}

// retryLater schedules the current record of a main-state handler again,
// after the delay, when it has a retry left; the handler stays busy. It
// reports whether it did.
func (in *instance) retryLater(err error) bool {
	if !in.mayRetry() {
		return false
	}
	in.attempt++
	rt := in.h.rt
	in.h.busy = true
	rt.log.Debug("handler call failed: retrying", "handler", in.h.name, "attempt", in.attempt, "error", err.Error())
	// The wait parks the handler's records for a virtual clock.
	hold, ctx := rt.hold(rt.stopCtx)
	if in.vq != nil {
		ctx = clock.WithParker(ctx, in.vq)
	}
	d := in.retryDelay(in.attempt)
	go func() {
		defer doneHold(hold)
		werr := rt.clock.Sleep(ctx, d)
		rt.sch.post(func() { in.rerun(werr) })
	}()
	return true
}

// rerun runs the current record again in the main state (after
// retryLater), or, when the wait was cut short by the stop, ends it as an
// interrupted record.
func (in *instance) rerun(waitErr error) {
	if waitErr != nil {
		in.h.busy = false
		if in.counted {
			in.h.rt.commits.taint()
		}
		in.finishAck(ErrStopped)
		in.recordDone()
		in.h.pump()
		return
	}
	sc := in.s.rt.sch
	kind, v, m := in.args()
	if in.drv == nil {
		in.drv = sc.newDriver(in, in.loop, in.stepDone, in.driverDied)
	}
	in.stepsRun = maxStepsPerResume // no batching: back to the scheduler after it
	in.beginTimeout(in.drv.co)
	sc.resume(in.drv, kind, v, m)
}

// waitRetry waits before the next retry in a worker state.
func (in *instance) waitRetry() error {
	in.attempt++
	rt := in.h.rt
	ctx := rt.stopCtx
	if in.vq != nil {
		ctx = clock.WithParker(ctx, in.vq)
	}
	return rt.clock.Sleep(ctx, in.retryDelay(in.attempt))
}

// callDirect runs one step in a worker state, within the handler's
// timeout.
func (in *instance) callDirect(kind, v, m glua.LValue) error {
	in.beginTimeout(in.s.L)
	_, err := in.s.CallValues(in.step, 0, kind, v, m)
	err = in.timeoutError(err)
	in.endTimeout(in.s.L)
	return err
}

// args converts the current record to the driver's arguments again, for a
// retry: the handler may have changed the tables of the failed attempt.
func (in *instance) args() (kind, v, m glua.LValue) {
	rec := in.cur
	in.s.BeginRecord()
	v = in.s.ToLua(rec.Value)
	if in.spec.Decode != nil {
		if res, err := in.s.CallValues(in.spec.Decode, 1, v); err == nil {
			v = res[0]
		}
	}
	in.meta = glua.LNil
	if in.needMeta {
		in.meta = in.s.MetaTable(rec)
	}
	return glua.LNumber(stepRecord), v, in.meta
}
