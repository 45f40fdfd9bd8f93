package connectors

import (
	"context"
	"sync"

	"github.com/streamctl/streamctl/clock"
)

// gate lets a source stop between reads without losing its position: Pauser
// implementations call pause and resume, the reading goroutine calls wait.
// The zero value is open. Safe for concurrent use.
type gate struct {
	mu     sync.Mutex
	paused bool
	resume *clock.Event // fired by unpause; non-nil while paused
}

// pause closes the gate; a no-op when already paused.
func (g *gate) pause() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.paused {
		g.paused = true
		g.resume = clock.NewEvent()
	}
}

// unpause opens the gate and wakes waiters; a no-op when not paused.
func (g *gate) unpause() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.paused {
		g.paused = false
		g.resume.Fire()
		g.resume = nil
	}
}

// wait blocks while the gate is paused, until unpause (nil) or ctx is done
// (ctx.Err()). A virtual clock does not wait for a paused source
// (clock.Event).
func (g *gate) wait(ctx context.Context) error {
	for {
		g.mu.Lock()
		paused, ev := g.paused, g.resume
		g.mu.Unlock()
		if !paused {
			return nil
		}
		if err := ev.Wait(ctx); err != nil {
			return err
		}
	}
}
