package lua

import (
	"errors"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors"
)

// batchSize bounds how many buffered records the scheduler takes from one
// handler's queue at a time; bufferSize bounds each handler's input buffer.
const (
	batchSize  = 256
	bufferSize = 1024
)

type queued struct {
	rec   connectors.Record
	kind  int // stepRecord, stepFlush, stepFlushOp
	opIdx int
}

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

// startTicker flushes pipe operator op every d (pipe.batch{every=}).
func (h *Handler) startTicker(d time.Duration, op *glua.LTable) {
	idx := -1
	for i, o := range h.spec.Operators {
		if o == op {
			idx = i + 1
		}
	}
	if h.inst == nil {
		return // worker handlers flush batches by size and at the end
	}
	rt := h.rt
	hold, ctx := rt.hold(rt.stopCtx)
	go func() {
		defer doneHold(hold)
		clk := rt.clock
		next := clk.Now()
		for {
			// Ticks that the scheduler could not take in time are
			// dropped, as a time.Ticker drops them.
			if next = next.Add(d); next.Before(clk.Now()) {
				next = clk.Now().Add(d)
			}
			if clk.Sleep(ctx, next.Sub(clk.Now())) != nil {
				return
			}
			rt.sch.post(func() {
				if !h.finished {
					h.queue.push(queued{kind: stepFlushOp, opIdx: idx})
					h.pump()
				}
			})
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
			h.vq.add(-1) // the end of the input (feed.run)
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
			h.rt.recordDone() // the run is failing: drop what is left
			h.vq.add(-1)
			continue
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

// maxStepsPerResume bounds how many queued steps one resume of a driver
// coroutine runs (see instance.next). The queue holds at most one delivered
// batch (batchSize records) plus flush steps, and pump used to run all of it
// within one scheduler event anyway, so the bound keeps the fairness towards
// timers, other handlers and the scheduler's idle flush of output that one
// coroutine resume per step had.
const maxStepsPerResume = batchSize

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
	in.beginTimeout(in.drv.co)
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
			in.beginTimeout(L)
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
	in.recordDone()
}

// recordDone ends the handler's part of the record of the step, once.
func (in *instance) recordDone() {
	if in.counted {
		in.counted = false
		in.h.rt.recordDone()
		in.vq.add(-1)
	}
}

// stepDone: the driver yielded after finishing a step; next already ended it.
func (in *instance) stepDone() {
	in.endTimeout(in.drv.co)
	in.h.busy = false
	in.h.pump()
}

// driverDied: the step raised an error; the coroutine is dead.
func (in *instance) driverDied(err error) {
	rec := in.cur
	in.cur = nil
	err = in.timeoutError(err)
	if in.drv != nil {
		in.endTimeout(in.drv.co)
	}
	in.drv = nil
	in.h.busy = false
	if !errors.Is(err, ErrStopped) && rec != nil {
		in.cur = rec
		if in.retryLater(err) {
			return // the handler stays busy with the record
		}
		in.cur = nil
	}
	if errors.Is(err, ErrStopped) {
		// Interrupted by the stop: not done, so not acked; an
		// at-least-once source delivers it again. What the step wrote
		// before cannot be committed without it.
		if in.counted {
			in.h.rt.commits.taint()
		}
		in.finishAck(ErrStopped)
	} else {
		in.scriptError(rec, err)
		in.finishAck(nil)
	}
	in.recordDone()
	in.h.pump()
}
