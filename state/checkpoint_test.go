package state

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// at is 2023-01-01 at h:m UTC, the cookbook's day, as a Checkpoint returns
// times.
func at(h, m int) time.Time {
	return time.Unix(0, time.Date(2023, 1, 1, h, m, 0, 0, time.UTC).UnixNano())
}

func newCheckpoint(t *testing.T, store CheckpointStore, deps ...Dependency) *Checkpoint {
	t.Helper()
	if len(deps) == 0 {
		deps = []Dependency{{Name: "weather", Threshold: time.Hour}}
	}
	c, err := NewCheckpoint("activity", CheckpointConfig{Dependencies: deps}, store)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// offsets is the dependent's state: partition "0" at offset n.
func offsets(n int64) map[string]any { return map[string]any{"0": n} }

// step is one call in a checkpoint scenario: a heartbeat of dep (when hb)
// or a pulse with state, and what it must report.
type step struct {
	what      string
	hb        bool
	dep       string
	t         time.Time
	state     map[string]any
	down      bool          // pulse: Down
	downtime  time.Duration // pulse: Downtime when down
	newlyDown []string      // pulse: NewlyDown names
	recovered *DepState     // what Heartbeat or Pulse reports recovered
	paused    bool          // Paused after the call
	reopen    bool          // restart (a new Checkpoint on the same store) before the call
}

func runSteps(t *testing.T, store CheckpointStore, newCP func() *Checkpoint, steps []step) {
	t.Helper()
	c := newCP()
	for _, s := range steps {
		if s.reopen {
			c = newCP()
		}
		var rec *DepState
		if s.hb {
			var err error
			if rec, err = c.Heartbeat(s.dep, s.t); err != nil {
				t.Fatalf("%s: %v", s.what, err)
			}
		} else {
			res, err := c.Pulse(s.t, s.state)
			if err != nil {
				t.Fatalf("%s: %v", s.what, err)
			}
			if res.Down != s.down || (s.down && res.Downtime != s.downtime) {
				t.Errorf("%s: pulse down=%t downtime=%s, want %t %s", s.what, res.Down, res.Downtime, s.down, s.downtime)
			}
			var names []string
			for _, d := range res.NewlyDown {
				names = append(names, d.Name)
			}
			if fmt.Sprint(names) != fmt.Sprint(s.newlyDown) {
				t.Errorf("%s: newly down %v, want %v", s.what, names, s.newlyDown)
			}
			rec = res.Recovered
		}
		if !reflect.DeepEqual(rec, s.recovered) {
			t.Errorf("%s: recovered %+v, want %+v", s.what, rec, s.recovered)
		}
		if c.Paused() != s.paused {
			t.Errorf("%s: paused = %t, want %t", s.what, c.Paused(), s.paused)
		}
	}
}

// TestCheckpointSynchronization is the Slipstream cookbook's
// "Synchronization": activity records are enriched with the weather; the
// weather stream stalls after ⛅ (11:00) while activity goes on, the pulse
// at 12:30 detects 1h30m of downtime, and when the weather is back past
// 12:30 the recovery returns the offsets of that pulse to seek to.
func TestCheckpointSynchronization(t *testing.T) {
	for _, reopen := range []bool{false, true} {
		t.Run(fmt.Sprintf("reopen=%t", reopen), func(t *testing.T) {
			dir := t.TempDir()
			var st *Store
			newCP := func() *Checkpoint {
				if st != nil {
					must(t, st.Close())
				}
				var err error
				st, err = Open(dir, WithSweepInterval(0))
				must(t, err)
				c, err := st.Cache("checkpoints", CacheConfig{})
				must(t, err)
				return newCheckpoint(t, c)
			}
			t.Cleanup(func() { st.Close() })
			runSteps(t, nil, newCP, []step{
				{what: "🌞 10:00", hb: true, t: at(10, 0)},
				{what: "swimming 10:30", t: at(10, 30), state: offsets(0), reopen: reopen},
				{what: "⛅ 11:00", hb: true, t: at(11, 0)},
				{what: "walking home 11:30", t: at(11, 30), state: offsets(1), reopen: reopen},
				{what: "shopping 12:30", t: at(12, 30), state: offsets(2),
					down: true, downtime: 5400 * time.Second, newlyDown: []string{"weather"}, paused: true},
				// The dependent is paused; the weather recovers.
				{what: "🌦️ 12:00", hb: true, t: at(12, 0), paused: true, reopen: reopen},
				{what: "🌧 13:00", hb: true, t: at(13, 0), reopen: reopen,
					recovered: &DepState{Name: "weather", CheckpointTime: at(13, 0), CheckpointState: offsets(2)}},
				// Reprocessing from offset 2 after the seek.
				{what: "shopping again 12:30", t: at(12, 30), state: offsets(2)},
				{what: "lunch 13:10", t: at(13, 10), state: offsets(3)},
			})
		})
	}
}

func TestCheckpoint(t *testing.T) {
	h := time.Hour
	for _, tt := range []struct {
		name  string
		deps  []Dependency
		steps []step
	}{{
		name: "no false alarm at start",
		steps: []step{
			{what: "pulse before any heartbeat", t: at(10, 0), state: offsets(5)},
			{what: "59m later", t: at(10, 59), state: offsets(6)},
			{what: "exactly the threshold", t: at(11, 0), state: offsets(7)},
			{what: "over it", t: at(11, 1), state: offsets(8), down: true, downtime: 61 * time.Minute,
				newlyDown: []string{"weather"}, paused: true},
			{what: "down is reported once; pulse returns the downtime while down", t: at(11, 2), state: offsets(9),
				down: true, downtime: 62 * time.Minute, paused: true},
			{what: "a heartbeat not later than the last pulse", hb: true, t: at(11, 2), paused: true},
			{what: "pulse still reports down within the threshold", t: at(11, 2), down: true, downtime: 0, paused: true},
			{what: "recovery", hb: true, t: at(11, 3),
				recovered: &DepState{Name: "weather", CheckpointTime: at(11, 3), CheckpointState: offsets(9)}},
			{what: "a later heartbeat recovers nothing", hb: true, t: at(11, 4)},
		},
	}, {
		name: "default threshold is 10 minutes",
		deps: []Dependency{{Name: "weather"}},
		steps: []step{
			{what: "heartbeat", hb: true, t: at(10, 0)},
			{what: "10m", t: at(10, 10)},
			{what: "11m", t: at(10, 11), down: true, downtime: 11 * time.Minute, newlyDown: []string{"weather"}, paused: true},
		},
	}, {
		name: "two dependencies recover one after the other",
		deps: []Dependency{{Name: "weather", Threshold: h}, {Name: "traffic", Threshold: 2 * h}},
		steps: []step{
			{what: "weather", hb: true, dep: "weather", t: at(10, 0)},
			{what: "traffic", hb: true, dep: "traffic", t: at(10, 0)},
			{what: "weather down", t: at(11, 30), state: offsets(1), down: true, downtime: 90 * time.Minute,
				newlyDown: []string{"weather"}, paused: true},
			{what: "both down, weather reported first", t: at(12, 30), state: offsets(2), down: true,
				downtime: 150 * time.Minute, newlyDown: []string{"traffic"}, paused: true},
			{what: "weather up, traffic still down", hb: true, dep: "weather", t: at(13, 0), paused: true},
			{what: "traffic up: recovered", hb: true, dep: "traffic", t: at(12, 31),
				recovered: &DepState{Name: "traffic", CheckpointTime: at(12, 31), CheckpointState: offsets(2)}},
		},
	}, {
		name: "an out-of-order pulse before the checkpoint time recovers",
		steps: []step{
			{what: "heartbeat", hb: true, t: at(10, 0)},
			{what: "down", t: at(11, 30), state: offsets(3), down: true, downtime: 90 * time.Minute,
				newlyDown: []string{"weather"}, paused: true},
			{what: "heartbeat at 11:20 is not later than 11:30", hb: true, t: at(11, 20), paused: true},
			{what: "in-flight record at 11:10", t: at(11, 10), state: offsets(2),
				recovered: &DepState{Name: "weather", CheckpointTime: at(11, 20), CheckpointState: offsets(3)}},
		},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			c := memWindowCache(t)
			runSteps(t, c, func() *Checkpoint { return newCheckpoint(t, c, tt.deps...) }, tt.steps)
		})
	}
}

// TestCheckpointPersistence reopens a checkpoint and compares everything
// readable.
func TestCheckpointPersistence(t *testing.T) {
	c := memWindowCache(t)
	deps := []Dependency{{Name: "weather", Threshold: time.Hour}, {Name: "traffic"}}
	cp := newCheckpoint(t, c, deps...)
	if _, err := cp.Heartbeat("weather", at(9, 0)); err != nil {
		t.Fatal(err)
	}
	state := map[string]any{"0": int64(7), "1": []any{"x", 1.5}}
	res, err := cp.Pulse(at(10, 1), state)
	must(t, err)
	if !res.Down || len(res.NewlyDown) != 1 {
		t.Fatalf("pulse: %+v", res)
	}
	state["1"].([]any)[0] = "changed by the caller"

	again := newCheckpoint(t, c, deps...)
	for i, d := range cp.Deps() {
		if got := again.Deps()[i]; !reflect.DeepEqual(got, d) {
			t.Errorf("reopened dep %+v, want %+v", got, d)
		}
	}
	if again.Paused() != cp.Paused() {
		t.Errorf("reopened paused %t, want %t", again.Paused(), cp.Paused())
	}
	s1, p1, ok1 := cp.State()
	s2, p2, ok2 := again.State()
	if !reflect.DeepEqual(s1, s2) || !p1.Equal(p2) || ok1 != ok2 {
		t.Errorf("reopened state %v %s %t, want %v %s %t", s2, p2, ok2, s1, p1, ok1)
	}
	if want := (map[string]any{"0": int64(7), "1": []any{"x", 1.5}}); !reflect.DeepEqual(s2, want) {
		t.Errorf("state %v, want %v (a copy of the pulse's)", s2, want)
	}
	d, err := again.Dep("traffic")
	must(t, err)
	if want := (&DepState{Name: "traffic", CheckpointTime: at(10, 1), CheckpointState: s1}); !reflect.DeepEqual(d, want) {
		t.Errorf("traffic %+v, want %+v (initialised by the pulse)", d, want)
	}
}

func TestCheckpointErrors(t *testing.T) {
	c := memWindowCache(t)
	for _, tt := range []struct {
		name string
		deps []Dependency
		want string
	}{
		{"", []Dependency{{Name: "a"}}, "checkpoint: name must not be empty"},
		{"x", nil, `checkpoint "x": dependencies must not be empty`},
		{"x", []Dependency{{Name: "a"}, {Name: "a"}}, `checkpoint "x": dependency "a" is listed twice`},
		{"x", []Dependency{{}}, `checkpoint "x": dependency 1 has no name`},
		{"x", []Dependency{{Name: "a", Threshold: -1}}, `checkpoint "x": dependency "a": threshold must not be negative, got -1ns`},
	} {
		if _, err := NewCheckpoint(tt.name, CheckpointConfig{Dependencies: tt.deps}, c); err == nil || err.Error() != tt.want {
			t.Errorf("NewCheckpoint(%q, %v) = %v, want %s", tt.name, tt.deps, err, tt.want)
		}
	}
	cp := newCheckpoint(t, c, Dependency{Name: "weather"}, Dependency{Name: "traffic"})
	for dep, want := range map[string]string{
		"":       `checkpoint "activity": heartbeat needs a dependency name: there are 2 (weather, traffic)`,
		"wether": `checkpoint "activity": unknown dependency "wether" (known: weather, traffic)`,
	} {
		if _, err := cp.Heartbeat(dep, at(1, 0)); err == nil || err.Error() != want {
			t.Errorf("Heartbeat(%q) = %v, want %s", dep, err, want)
		}
	}
	if _, err := cp.Pulse(at(1, 0), map[string]any{"f": func() {}}); err == nil {
		t.Error("Pulse with a func in the state: no error")
	}
}
