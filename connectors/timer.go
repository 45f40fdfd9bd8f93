package connectors

import (
	"context"
	"fmt"
	"time"

	"github.com/streamctl/streamctl/clock"
)

// TimerConfig is the timer source's configuration: the Lua table of
// timer{every=, count=, start_now=}.
type TimerConfig struct {
	// Every is the tick period; required, > 0.
	Every time.Duration
	// Count ends the source after that many ticks; default 0 = unlimited.
	Count int
	// StartNow emits the first tick at once instead of after Every; default
	// false. The immediate tick counts towards Count.
	StartNow bool
}

// validate checks c.
func (c TimerConfig) validate() error {
	switch {
	case c.Every <= 0:
		return fmt.Errorf("timer: every must be > 0, got %v", c.Every)
	case c.Count < 0:
		return fmt.Errorf("timer: count must be >= 0, got %d", c.Count)
	}
	return nil
}

// TimerSource emits Record{Value: nil, Time: tick time, Source: "timer",
// Pos: n} on its clock (the wall clock unless WithTimerClock), n counting
// ticks from 1. Tick n is due at start + n*Every; when emit blocks
// (back-pressure) past the next tick, missed ticks are dropped, not queued,
// and the next tick carries its own time.
type TimerSource struct {
	cfg   TimerConfig
	clock clock.Clock
}

// NewTimerSource validates cfg and returns the source. Nothing starts until Run.
func NewTimerSource(cfg TimerConfig, opts ...TimerOpt) (*TimerSource, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	var o timerOpts
	for _, opt := range opts {
		opt.apply(&o)
	}
	return &TimerSource{cfg: cfg, clock: clock.Or(o.clock)}, nil
}

// Name returns "timer".
func (s *TimerSource) Name() string { return "timer" }

// Run emits ticks until Count is reached (returns nil), ctx is done (returns
// ctx.Err()) or emit fails (returns its error). It blocks between ticks,
// waiting on the clock, and starts no goroutines.
func (s *TimerSource) Run(ctx context.Context, emit func(context.Context, Record) error) error {
	var n int64
	clk := s.clock
	tick := func(t time.Time) error {
		n++
		return emit(ctx, Record{Time: t, Source: "timer", Pos: n})
	}
	done := func() bool { return s.cfg.Count > 0 && n >= int64(s.cfg.Count) }
	if err := ctx.Err(); err != nil {
		return err
	}
	next := clk.Now()
	if s.cfg.StartNow {
		if err := tick(next); err != nil {
			return err
		}
		if done() {
			return nil
		}
	}
	for {
		next = next.Add(s.cfg.Every)
		if now := clk.Now(); next.Before(now) {
			next = now.Add(s.cfg.Every) // missed ticks are dropped
		}
		if err := clk.Sleep(ctx, next.Sub(clk.Now())); err != nil {
			return err
		}
		if err := tick(next); err != nil {
			return err
		}
		if done() {
			return nil
		}
	}
}

var (
	_ Source = (*TimerSource)(nil)
	_ Named  = (*TimerSource)(nil)
)
