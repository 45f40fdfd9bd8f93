package lua

import (
	"sync/atomic"
)

// ackTracker calls an input record's Ack once its handler step finished and
// every output written to an acking sink (connectors.Acker) was acknowledged:
// the at-least-once rule of api.md section 6. Safe for concurrent use: sink
// acks arrive from I/O goroutines.
type ackTracker struct {
	pending atomic.Int64
	failed  atomic.Pointer[error]
	ack     func(error)
}

func newAckTracker(ack func(error)) *ackTracker {
	t := &ackTracker{ack: ack}
	t.pending.Store(1) // the handler step itself
	return t
}

// output registers one more output to wait for and returns its Ack.
func (t *ackTracker) output() func(error) {
	t.pending.Add(1)
	return t.done
}

// done marks the step (or one output) finished.
func (t *ackTracker) done(err error) {
	if err != nil {
		t.fail(err)
	}
	if t.pending.Add(-1) == 0 {
		var final error
		if p := t.failed.Load(); p != nil {
			final = *p
		}
		t.ack(final)
	}
}

// fail keeps err as the first failure. A separate function, so that only a
// failing done moves its error to the heap.
//
//go:noinline
func (t *ackTracker) fail(err error) { t.failed.CompareAndSwap(nil, &err) }

// fanoutAck returns an Ack that calls ack once n subscribers acked: a
// broadcast record is done when every handler is done with it.
func fanoutAck(ack func(error), n int) func(error) {
	if ack == nil || n <= 1 {
		return ack
	}
	t := &ackTracker{ack: ack}
	t.pending.Store(int64(n))
	return t.done
}
