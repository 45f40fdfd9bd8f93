package connectors

import (
	"context"
	"sync"
	"time"
)

// gate lets a source stop between reads without losing its position: Pauser
// implementations call pause and resume, the reading goroutine calls wait.
// The zero value is open. Safe for concurrent use.
type gate struct {
	mu     sync.Mutex
	paused bool
	resume chan struct{} // closed by unpause; non-nil while paused
}

// pause closes the gate; a no-op when already paused.
func (g *gate) pause() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.paused {
		g.paused = true
		g.resume = make(chan struct{})
	}
}

// unpause opens the gate and wakes waiters; a no-op when not paused.
func (g *gate) unpause() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.paused {
		g.paused = false
		close(g.resume)
		g.resume = nil
	}
}

// wait blocks while the gate is paused, until unpause (nil) or ctx is done
// (ctx.Err()).
func (g *gate) wait(ctx context.Context) error {
	for {
		g.mu.Lock()
		paused, ch := g.paused, g.resume
		g.mu.Unlock()
		if !paused {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// sleep waits for d or until ctx is done, whichever comes first, and returns
// ctx.Err() in the latter case.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
