package lua

import (
	"context"
	"errors"
	"sync"

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
	rec.Ack = fanoutAck(rec.Ack, len(f.subs))
	if c := f.rt.commits; c != nil {
		// No commit starts while a record is handed over.
		c.enter(len(f.subs))
		defer c.leave()
	}
	for i, c := range f.subs {
		select {
		case c <- rec:
		case <-ctx.Done():
			for range f.subs[i:] {
				f.rt.recordDone()
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

func (f *feed) run(ctx context.Context) {
	done := make(chan error, 1)
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
	for _, c := range f.subs {
		close(c)
	}
	f.mu.Unlock()
}
