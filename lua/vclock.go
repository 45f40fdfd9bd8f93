package lua

import (
	"context"
	"sync"
	"sync/atomic"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/clock"
	"github.com/streamctl/streamctl/connectors"
)

// A run on a virtual clock (`streamctl test`) tells the clock what work is
// left, so that it moves only when none is (clock.Virtual):
//
//   - the goroutine of Run holds one unit, parked while the scheduler waits
//     for an event (runHold); each event sent to the scheduler holds one
//     from the send until it ran (scheduler.send);
//   - each record holds one per handler from the moment its source hands it
//     over until the handler is done with it (vqueue); the records of a
//     handler instance waiting on the clock (sleep) are parked with it;
//   - a waiting call (Await) holds one while its goroutine runs, parked
//     while it sleeps; a running source holds one (feed.run), parked while
//     it waits on the clock;
//   - a source never blocks on a full handler buffer (relay): the records
//     queue without bound, as a test's fixtures are finite anyway.
//
// With the wall clock none of this happens: virtual is nil and every hook
// below is a nil check.

// vqueue counts the records a handler instance (or, for workers, the
// handler's dispatcher) has yet to finish, for a virtual clock. It is a
// clock.Parker: parked while the instance waits on the clock, its records
// do not hold the clock back. A nil vqueue does nothing.
type vqueue struct {
	v      *clock.Virtual
	total  *atomic.Int64 // the run's records in flight (Runtime.RecordsInFlight)
	mu     sync.Mutex
	n      int
	parked int
}

func (rt *Runtime) newVQueue() *vqueue {
	if rt.virtual == nil {
		return nil
	}
	return &vqueue{v: rt.virtual, total: &rt.vRecords}
}

// add adds d records.
func (q *vqueue) add(d int) {
	if q == nil {
		return
	}
	q.total.Add(int64(d))
	q.mu.Lock()
	q.n += d
	if q.parked == 0 {
		q.v.Add(d)
	}
	q.mu.Unlock()
}

// Park implements clock.Parker.
func (q *vqueue) Park() {
	q.mu.Lock()
	q.parked++
	if q.parked == 1 && q.n != 0 {
		q.v.Add(-q.n)
	}
	q.mu.Unlock()
}

// Unpark implements clock.Parker.
func (q *vqueue) Unpark() {
	q.mu.Lock()
	q.parked--
	if q.parked == 0 && q.n != 0 {
		q.v.Add(q.n)
	}
	q.mu.Unlock()
}

// relay is a handler's input buffer on a virtual clock: push never blocks,
// and a goroutine moves the records into the handler's channel in order.
type relay struct {
	mu     sync.Mutex
	recs   []connectors.Record
	closed bool
	wake   chan struct{}
	out    chan connectors.Record
}

func newRelay(out chan connectors.Record) *relay {
	r := &relay{wake: make(chan struct{}, 1), out: out}
	go r.run()
	return r
}

func (r *relay) push(rec connectors.Record) {
	r.mu.Lock()
	r.recs = append(r.recs, rec)
	r.mu.Unlock()
	r.signal()
}

// close closes the handler's channel once every pushed record went out.
func (r *relay) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.signal()
}

func (r *relay) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *relay) run() {
	for {
		r.mu.Lock()
		recs, closed := r.recs, r.closed
		r.recs = nil
		r.mu.Unlock()
		for _, rec := range recs {
			r.out <- rec
		}
		if closed && len(recs) == 0 {
			close(r.out)
			return
		}
		if len(recs) == 0 {
			<-r.wake
		}
	}
}

// RecordsInFlight returns, on a virtual clock, how many records sources
// handed over that handlers have not finished (waiting ones included); 0
// on the wall clock, which does not count them. A test ends its inputs once
// none are left.
func (rt *Runtime) RecordsInFlight() int64 { return rt.vRecords.Load() }

// Clock returns the clock of the run (Options.Clock).
func (rt *Runtime) Clock() clock.Clock { return rt.clock }

// hold returns a unit of the virtual clock's busy count for a goroutine
// about to start, and ctx carrying it as a parker; with the wall clock,
// nil and ctx.
func (rt *Runtime) hold(ctx context.Context) (*clock.Hold, context.Context) {
	if rt.virtual == nil {
		return nil, ctx
	}
	h := rt.virtual.Hold()
	return h, clock.WithParker(ctx, h)
}

// doneHold ends a unit from hold; nil does nothing.
func doneHold(h *clock.Hold) {
	if h != nil {
		h.Done()
	}
}

// Busy adds n (which may be negative) to the work a virtual clock waits
// for before it moves (clock.Virtual): the runtime counts its events and
// records itself; a binding that queues records for a derived source
// (cache:updates()) counts each until the source emitted it. Nothing with
// the wall clock. Safe for concurrent use and on a nil Runtime.
func (rt *Runtime) Busy(n int) {
	if rt != nil && rt.virtual != nil {
		rt.virtual.Add(n)
	}
}

// parkers returns ctx carrying the work a waiting call made in L parks
// while it sleeps: the records of the handler running in L, and, for a call
// that blocks the main state's goroutine, that goroutine's unit.
func (s *State) parkers(ctx context.Context, L *glua.LState, blocking bool) context.Context {
	rt := s.rt
	if rt == nil || rt.virtual == nil {
		return ctx
	}
	var ps []clock.Parker
	if blocking && s.IsMain() && rt.runHold != nil {
		ps = append(ps, rt.runHold)
	}
	if in := s.current(L); in != nil && in.vq != nil {
		ps = append(ps, in.vq)
	}
	return clock.WithParker(ctx, ps...)
}
