package lua

import (
	"context"
	"errors"
	"sync"

	"github.com/streamctl/streamctl/clock"
	"github.com/streamctl/streamctl/connectors"
)

func containsChan(subs []chan connectors.Record, c chan connectors.Record) bool {
	for _, s := range subs {
		if s == c {
			return true
		}
	}
	return false
}

// feed runs one source and broadcasts its records to every subscribed
// handler's buffer; a full buffer blocks the source (back-pressure).
type feed struct {
	rt      *Runtime
	derived bool
	src     connectors.Source
	// positioned is src when its position is committed with the state.
	positioned connectors.Positioned
	subs       []chan connectors.Record
	handlers   []*Handler // of subs, in order
	relays     []*relay   // virtual clock: the input buffers of subs
	started    bool
	mu         sync.Mutex
	closed     bool
}

func (f *feed) emit(ctx context.Context, rec connectors.Record) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return context.Canceled
	}
	if !f.derived {
		// Stopped: not one record more, even from a source that has one at
		// hand (derived sources deliver what they hold).
		select {
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
	}
	rec.Ack = fanoutAck(rec.Ack, len(f.subs))
	if c := f.rt.commits; c != nil {
		// No commit starts while a record is handed over.
		c.enter(len(f.subs))
		defer c.leave()
	}
	if f.relays != nil {
		for i, r := range f.relays {
			f.handlers[i].vq.add(1)
			r.push(rec)
		}
	}
	for i, c := range f.subs {
		if f.relays != nil {
			break
		}
		select {
		case c <- rec:
		case <-ctx.Done():
			for _, h := range f.handlers[i:] {
				f.rt.recordDone()
				h.vq.add(-1)
			}
			return ctx.Err()
		}
	}
	if f.positioned != nil {
		f.emitted(rec)
	}
	return nil
}

// emitted tells the positioned source that rec was handed over. A separate
// function, so that only records of positioned sources are moved to the
// heap for the pointer.
//
//go:noinline
func (f *feed) emitted(rec connectors.Record) { f.positioned.Emitted(&rec) }

// start runs the source in a goroutine (run).
func (f *feed) start(ctx context.Context) {
	var hold *clock.Hold
	if f.rt.virtual != nil {
		for _, c := range f.subs {
			f.relays = append(f.relays, newRelay(c))
		}
		if !f.derived {
			// A running source holds the clock, except while it waits
			// on it; derived sources are fed by handlers.
			hold, ctx = f.rt.hold(ctx)
		}
	}
	go f.run(ctx, hold)
}

func (f *feed) run(ctx context.Context, hold *clock.Hold) {
	done := make(chan error, 1)
	// The source's unit ends once the handlers were told the input ended.
	defer doneHold(hold)
	go func() { done <- f.src.Run(ctx, f.emit) }()
	var err error
	if f.derived {
		err = <-done // derived sources deliver what they hold, then return
	} else {
		select {
		case err = <-done:
		case <-ctx.Done():
			// A source blocked in a read that cannot be interrupted (stdin)
			// is abandoned; what it delivered is still drained.
		}
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		// Fail before closing, so the run cannot end as a success first.
		f.rt.Fail(err) // connectors name the source in their errors
	}
	f.mu.Lock()
	f.closed = true
	// Virtual clock: the end of the input counts as a record of each
	// handler until it took it (feedScheduler, startWorkers).
	for _, h := range f.handlers {
		h.vq.add(1)
	}
	for i, c := range f.subs {
		if f.relays != nil {
			f.relays[i].close()
		} else {
			close(c)
		}
	}
	f.mu.Unlock()
}
