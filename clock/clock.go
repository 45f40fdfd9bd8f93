// Package clock is the time of a run: the wall clock (Real), or a virtual
// clock (Virtual) that `streamctl test` gives a run, so that timers, sleep,
// time.now, the idle checks of windows and cache TTLs advance without
// waiting. The runtime, the bindings and the connectors get a Clock as a
// typed dependency, built by cmd/streamctl, and never read the wall clock
// themselves. A leaf: it imports nothing of streamctl.
package clock

import (
	"context"
	"time"
)

// Clock tells the time and waits. Implementations are safe for concurrent
// use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep blocks until d has passed on the clock (nil) or ctx is done
	// (ctx.Err()). A d <= 0 returns at once, with ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

// Real is the wall clock.
var Real Clock = realClock{}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Or returns c, or Real when c is nil: the default of every Clock field.
func Or(c Clock) Clock {
	if c == nil {
		return Real
	}
	return c
}

// Parker is work that a virtual clock must wait for before it moves (a
// goroutine that runs, records that a handler has yet to take), and that
// may wait on the clock itself. While the work waits on the clock (Sleep)
// or on an Event, it is parked: Park is called when the wait begins, and
// Unpark before the wait returns, by whoever ends the wait, so that the
// clock never sees the work idle between the end of the wait and the moment
// it runs again. The wall clock ignores parkers.
type Parker interface {
	Park()
	Unpark()
}

// Parkers are the work a context carries (WithParker).
type Parkers []Parker

// Park parks each, in order.
func (ps Parkers) Park() {
	for _, p := range ps {
		p.Park()
	}
}

// Unpark unparks each, in reverse order.
func (ps Parkers) Unpark() {
	for i := len(ps) - 1; i >= 0; i-- {
		ps[i].Unpark()
	}
}

type parkersKey struct{}

// WithParker returns ctx carrying p besides the parkers ctx already carries:
// a wait made with the result parks them all.
func WithParker(ctx context.Context, p ...Parker) context.Context {
	if len(p) == 0 {
		return ctx
	}
	prev := ParkersOf(ctx)
	all := make(Parkers, 0, len(prev)+len(p))
	all = append(append(all, prev...), p...)
	return context.WithValue(ctx, parkersKey{}, all)
}

// ParkersOf returns the parkers ctx carries, nil for none.
func ParkersOf(ctx context.Context) Parkers {
	ps, _ := ctx.Value(parkersKey{}).(Parkers)
	return ps
}
