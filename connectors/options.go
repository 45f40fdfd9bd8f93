package connectors

import (
	"time"

	"github.com/streamctl/streamctl/clock"
)

// Defaults of the Go-only knobs below.
const (
	// DefaultPollInterval is how often a followed file is checked for new
	// data, truncation and rotation at EOF.
	DefaultPollInterval = 250 * time.Millisecond
	// DefaultWaitDelay is how long a cancelled exec child gets between SIGTERM
	// and SIGKILL (and the closing of its pipes).
	DefaultWaitDelay = 2 * time.Second
)

// FileOpt configures a FileSource beyond its FileConfig (kgo's Opt shape).
type FileOpt interface{ apply(*fileOpts) }

type fileOpts struct {
	poll  time.Duration
	clock clock.Clock
}

type fileOpt func(*fileOpts)

func (f fileOpt) apply(o *fileOpts) { f(o) }

// WithPollInterval sets how often a followed file is checked at EOF,
// overriding the default of 250ms. Values <= 0 keep the default.
func WithPollInterval(d time.Duration) FileOpt {
	return fileOpt(func(o *fileOpts) {
		if d > 0 {
			o.poll = d
		}
	})
}

// WithFileClock sets the clock a followed file's polls wait on, overriding
// the default of clock.Real.
func WithFileClock(c clock.Clock) FileOpt {
	return fileOpt(func(o *fileOpts) { o.clock = c })
}

// TimerOpt configures a TimerSource beyond its TimerConfig (kgo's Opt shape).
type TimerOpt interface{ apply(*timerOpts) }

type timerOpts struct {
	clock clock.Clock
}

type timerOpt func(*timerOpts)

func (f timerOpt) apply(o *timerOpts) { f(o) }

// WithTimerClock sets the clock the ticks follow, overriding the default of
// clock.Real.
func WithTimerClock(c clock.Clock) TimerOpt {
	return timerOpt(func(o *timerOpts) { o.clock = c })
}

// ExecOpt configures an ExecSource beyond its ExecConfig (kgo's Opt shape).
type ExecOpt interface{ apply(*execOpts) }

type execOpts struct {
	waitDelay time.Duration
}

type execOpt func(*execOpts)

func (f execOpt) apply(o *execOpts) { f(o) }

// WithWaitDelay sets how long a cancelled child may take to exit after SIGTERM
// before it is killed and its pipes are closed, overriding the default of 2s.
// Values <= 0 keep the default.
func WithWaitDelay(d time.Duration) ExecOpt {
	return execOpt(func(o *execOpts) {
		if d > 0 {
			o.waitDelay = d
		}
	})
}
