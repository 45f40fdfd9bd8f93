package state

import (
	"time"

	"github.com/streamctl/streamctl/value"
)

// Open returns the number of open windows (sessions for session windows;
// 0 for sliding windows, whose state is their buffer).
func (w *Windower) Open() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.open
}

// Deps returns snapshots of every dependency in configuration order.
func (c *Checkpoint) Deps() []*DepState {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*DepState, len(c.deps))
	for i, d := range c.deps {
		out[i] = d.snapshot()
	}
	return out
}

// State returns a copy of the dependent's state and its last pulse time
// (ok false before the first pulse).
func (c *Checkpoint) State() (state map[string]any, pulse time.Time, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return value.Clone(c.state), c.pulse, c.hasPulse
}
