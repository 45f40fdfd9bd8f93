package connectors

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestTimerConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		cfg  TimerConfig
		want string
	}{
		{TimerConfig{}, "timer: every must be > 0, got 0s"},
		{TimerConfig{Every: -time.Second}, "timer: every must be > 0, got -1s"},
		{TimerConfig{Every: time.Second, Count: -1}, "timer: count must be >= 0, got -1"},
	} {
		_, err := NewTimerSource(tt.cfg)
		if err == nil || err.Error() != tt.want {
			t.Errorf("NewTimerSource(%+v) = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

func TestTimerSource(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  TimerConfig
	}{
		{"count", TimerConfig{Every: 2 * time.Millisecond, Count: 3}},
		// An hour-long period: the test only finishes if the first tick is immediate.
		{"start now", TimerConfig{Every: time.Hour, Count: 1, StartNow: true}},
		{"start now and ticks", TimerConfig{Every: 2 * time.Millisecond, Count: 3, StartNow: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src, err := NewTimerSource(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			before := time.Now()
			c := start(t, src)
			if err := c.wait(t); err != nil {
				t.Fatalf("Run: %v", err)
			}
			recs := c.records()
			if len(recs) != tt.cfg.Count {
				t.Fatalf("%d records, want %d", len(recs), tt.cfg.Count)
			}
			want := []int64{1, 2, 3}[:tt.cfg.Count]
			if got := positions(recs); !slices.Equal(got, want) {
				t.Errorf("positions = %v, want %v", got, want)
			}
			prev := before.Add(-time.Millisecond)
			for _, r := range recs {
				if r.Value != nil || r.Source != "timer" || r.Time.Before(prev) {
					t.Errorf("record %+v (previous time %v)", r, prev)
				}
				prev = r.Time
			}
		})
	}
}

func TestTimerSourceCancel(t *testing.T) {
	src, err := NewTimerSource(TimerConfig{Every: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	c := start(t, src)
	if err := c.stop(t); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if n := len(c.records()); n != 0 {
		t.Errorf("%d records, want 0", n)
	}
}

func TestTimerSourceUnlimitedUntilEmitFails(t *testing.T) {
	src, err := NewTimerSource(TimerConfig{Every: time.Millisecond, StartNow: true})
	if err != nil {
		t.Fatal(err)
	}
	enough := errors.New("enough")
	n := 0
	err = src.Run(context.Background(), func(context.Context, Record) error {
		if n++; n == 5 {
			return enough
		}
		return nil
	})
	if err != enough || n != 5 {
		t.Errorf("Run = %v after %d ticks, want enough after 5", err, n)
	}
}
