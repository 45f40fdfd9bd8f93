package clock

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// Virtual is a clock that moves only when nothing that runs on it has work
// left: `streamctl test` runs a script on one, so that an hour of timers,
// sleeps and window idle checks takes milliseconds and gives the same
// result every time.
//
// The work is counted, not guessed: the runtime and the sources add to the
// clock's busy count (Add, Hold) while they have something to do (an event
// queued for the scheduler, a record a handler has yet to finish, a
// goroutine between two waits) and take it away when they are done or wait.
// A wait on the clock (Sleep) or on an Event parks the work its context
// carries (WithParker) and unparks it before it returns. Run moves the
// clock: whenever the busy count is zero it wakes the earliest sleeper,
// setting the time to its deadline, and waits for the count to fall back to
// zero before the next one. Sleepers due at the same time wake one at a
// time, in the order they began to sleep.
//
// Safe for concurrent use.
type Virtual struct {
	mu       sync.Mutex
	changed  *sync.Cond // broadcast whenever busy, the sleepers or gen change
	now      time.Time
	busy     int
	sleepers sleepers
	seq      uint64
	gen      uint64 // counts changes, so that Run notices any
}

// NewVirtual returns a virtual clock reading start. It moves only while Run
// runs.
func NewVirtual(start time.Time) *Virtual {
	v := &Virtual{now: start}
	v.changed = sync.NewCond(&v.mu)
	return v
}

// Now returns the clock's time.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

// Sleep waits until the clock reached now + d (nil) or ctx is done
// (ctx.Err(), also when both happened). The parkers of ctx are parked meanwhile.
func (v *Virtual) Sleep(ctx context.Context, d time.Duration) error {
	return v.sleep(ctx, d, false)
}

// SleepLast is Sleep, except that it wakes after every other sleeper due at
// the same time: a test that ends a job at a time lets what is due then
// happen first.
func (v *Virtual) SleepLast(ctx context.Context, d time.Duration) error {
	return v.sleep(ctx, d, true)
}

func (v *Virtual) sleep(ctx context.Context, d time.Duration, last bool) error {
	if d <= 0 {
		return ctx.Err()
	}
	ps := ParkersOf(ctx)
	v.mu.Lock()
	v.seq++
	w := &sleeper{at: v.now.Add(d), seq: v.seq, last: last, ch: make(chan struct{}), ps: ps}
	heap.Push(&v.sleepers, w)
	v.changedLocked()
	v.mu.Unlock()
	ps.Park()
	select {
	case <-w.ch:
		// Woken and cancelled at once: cancelled wins, so that work stopped
		// while it slept never goes on.
		return ctx.Err()
	case <-ctx.Done():
	}
	v.mu.Lock()
	fired := w.fired
	if !fired {
		heap.Remove(&v.sleepers, w.index)
		v.changedLocked()
	}
	v.mu.Unlock()
	if fired {
		<-w.ch // Run unparks, then closes
		return ctx.Err()
	}
	ps.Unpark()
	return ctx.Err()
}

// Add adds n (which may be negative) to the busy count. The count must not
// fall below zero.
func (v *Virtual) Add(n int) {
	v.mu.Lock()
	v.busy += n
	if v.busy < 0 {
		v.mu.Unlock()
		panic("clock: busy count below zero")
	}
	v.changedLocked()
	v.mu.Unlock()
}

// Busy returns the busy count (for tests and diagnostics).
func (v *Virtual) Busy() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.busy
}

func (v *Virtual) changedLocked() {
	v.gen++
	v.changed.Broadcast()
}

// Hold adds one to the busy count and returns it as a Parker: the work of
// a goroutine that runs until it waits. Done takes it away for good.
func (v *Virtual) Hold() *Hold {
	v.Add(1)
	return &Hold{v: v}
}

// Hold is one unit of a virtual clock's busy count (Virtual.Hold).
type Hold struct{ v *Virtual }

// Park takes the unit away while its work waits.
func (h *Hold) Park() { h.v.Add(-1) }

// Unpark gives it back.
func (h *Hold) Unpark() { h.v.Add(1) }

// Done takes it away for good.
func (h *Hold) Done() { h.v.Add(-1) }

// Run moves the clock until ctx is done, and returns then. Whenever the
// busy count is zero it first calls idle, with stuck true when no one
// sleeps either (then nothing will ever happen by itself). idle returns
// whether it made something happen (it must then have added to the busy
// count, or woken a waiter, before returning); if not, Run wakes the
// earliest sleeper. When idle did nothing and no one sleeps, Run waits for
// a change.
func (v *Virtual) Run(ctx context.Context, idle func(stuck bool) bool) {
	stop := context.AfterFunc(ctx, func() {
		v.mu.Lock()
		v.changed.Broadcast()
		v.mu.Unlock()
	})
	defer stop()
	v.mu.Lock()
	defer v.mu.Unlock()
	for {
		for v.busy > 0 && ctx.Err() == nil {
			v.changed.Wait()
		}
		if ctx.Err() != nil {
			return
		}
		gen, stuck := v.gen, len(v.sleepers) == 0
		v.mu.Unlock()
		did := idle != nil && idle(stuck)
		v.mu.Lock()
		if v.gen != gen {
			continue // something happened meanwhile: look again
		}
		if did || stuck {
			for v.gen == gen && ctx.Err() == nil {
				v.changed.Wait()
			}
			continue
		}
		w := heap.Pop(&v.sleepers).(*sleeper)
		w.fired = true
		if w.at.After(v.now) {
			v.now = w.at
		}
		v.busy++ // the wake-up itself, until the sleeper holds its work again
		v.changedLocked()
		v.mu.Unlock()
		w.ps.Unpark()
		close(w.ch)
		v.mu.Lock()
		v.busy--
		v.changedLocked()
	}
}

// sleeper is one Sleep in progress.
type sleeper struct {
	at    time.Time
	seq   uint64
	last  bool          // after the others due at the same time
	ch    chan struct{} // closed when it is woken
	ps    Parkers
	fired bool
	index int
}

// sleepers is a heap of sleepers, earliest deadline (then first come) first.
type sleepers []*sleeper

func (h sleepers) Len() int { return len(h) }
func (h sleepers) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	if h[i].last != h[j].last {
		return !h[i].last
	}
	return h[i].seq < h[j].seq
}
func (h sleepers) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *sleepers) Push(x any) {
	w := x.(*sleeper)
	w.index = len(*h)
	*h = append(*h, w)
}
func (h *sleepers) Pop() any {
	old := *h
	w := old[len(old)-1]
	*h = old[:len(old)-1]
	return w
}

// Event is a one-shot signal. Waiting on it parks the work of the waiter's
// context, and Fire unparks it before it wakes the waiter, so that work
// waiting on something other than the clock (a paused source waiting for
// resume) does not hold a virtual clock back, and is busy again from the
// moment it is released. With the wall clock it is a plain signal. The zero
// value is not usable: NewEvent. Safe for concurrent use.
type Event struct {
	mu      sync.Mutex
	fired   bool
	ch      chan struct{}
	waiting []*Parkers
}

// NewEvent returns an event that has not fired.
func NewEvent() *Event { return &Event{ch: make(chan struct{})} }

// Wait blocks until Fire (nil) or ctx is done (ctx.Err()).
func (e *Event) Wait(ctx context.Context) error {
	e.mu.Lock()
	if e.fired {
		e.mu.Unlock()
		return nil
	}
	ps := ParkersOf(ctx)
	w := &ps
	e.waiting = append(e.waiting, w)
	ps.Park()
	e.mu.Unlock()
	select {
	case <-e.ch:
		return nil
	case <-ctx.Done():
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fired {
		return nil
	}
	for i, x := range e.waiting {
		if x == w {
			e.waiting = append(e.waiting[:i], e.waiting[i+1:]...)
			break
		}
	}
	ps.Unpark()
	return ctx.Err()
}

// Fire wakes every waiter, now and later; a second call does nothing.
func (e *Event) Fire() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fired {
		return
	}
	e.fired = true
	for _, w := range e.waiting {
		w.Unpark()
	}
	e.waiting = nil
	close(e.ch)
}

// Fired reports whether Fire was called.
func (e *Event) Fired() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fired
}

var (
	_ Clock  = (*Virtual)(nil)
	_ Parker = (*Hold)(nil)
)
