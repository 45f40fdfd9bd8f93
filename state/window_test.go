package state

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamctl/streamctl/value"
)

// sec is an event time in seconds since the epoch.
func sec(s float64) time.Time { return time.Unix(0, int64(s*1e9)) }

// ev is one record for a Windower test; late marks the records Add must
// report as late.
type ev struct {
	key  any
	t    float64
	v    any
	late bool
}

// memWindowCache returns an in-memory cache for window state.
func memWindowCache(t *testing.T) *Cache {
	t.Helper()
	return openCache(t, newStore(t, WithSweepInterval(0)), "windows", CacheConfig{Memory: true})
}

func newWindower(t *testing.T, cfg WindowConfig, store WindowStore) *Windower {
	t.Helper()
	if cfg.Agg == nil {
		cfg.Agg = mustAgg(t, "count")
	}
	if cfg.Name == "" {
		cfg.Name = "w"
	}
	w, err := NewWindower(cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func mustAgg(t testing.TB, name string) Aggregator {
	t.Helper()
	a, err := BuiltinAggregator(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// fmtResult prints a result as "key start-end value" with times in seconds.
func fmtResult(r WindowResult) string {
	s := func(t time.Time) string { return fmt.Sprintf("%g", float64(t.UnixNano())/1e9) }
	return fmt.Sprintf("%v %s-%s %v", r.Key, s(r.Start), s(r.End), r.Value)
}

// feed adds evs to w and returns every output, checking lateness.
func feed(t *testing.T, w *Windower, evs []ev) []string {
	t.Helper()
	var out []string
	for _, e := range evs {
		v := e.v
		if v == nil {
			v = int64(1)
		}
		rs, late, err := w.Add(e.key, sec(e.t), v)
		if err != nil {
			t.Fatalf("Add(%v, %g): %v", e.key, e.t, err)
		}
		if late != e.late {
			t.Errorf("Add(%v, %g): late = %t, want %t", e.key, e.t, late, e.late)
		}
		for _, r := range rs {
			out = append(out, fmtResult(r))
		}
	}
	return out
}

func closeAll(t *testing.T, w *Windower) []string {
	t.Helper()
	rs, err := w.CloseAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		out = append(out, fmtResult(r))
	}
	return out
}

func checkLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\ngot  %q\nwant %q", what, got, want)
	}
}

func TestWindower(t *testing.T) {
	s := time.Second
	for _, tt := range []struct {
		name   string
		cfg    WindowConfig
		evs    []ev
		want   []string // outputs of the Adds
		closed []string // outputs of CloseAll
	}{{
		name: "tumbling final",
		cfg:  WindowConfig{Kind: Tumbling, Size: 10 * s},
		evs: []ev{{key: "a", t: 1}, {key: "b", t: 2}, {key: "a", t: 9.999}, {key: "a", t: 10},
			{key: "a", t: 3, late: true}, {key: "b", t: 25}},
		want:   []string{"a 0-10 2", "b 0-10 1", "a 10-20 1"},
		closed: []string{"b 20-30 1"},
	}, {
		name: "tumbling out of order within grace, late after",
		cfg:  WindowConfig{Kind: Tumbling, Size: 10 * s, Grace: 5 * s},
		evs: []ev{{key: "a", t: 1}, {key: "a", t: 12}, {key: "a", t: 8}, {key: "a", t: 14.999},
			{key: "a", t: 9}, {key: "a", t: 15}, {key: "a", t: 9.5, late: true}, {key: "a", t: 10}},
		want:   []string{"a 0-10 3"},
		closed: []string{"a 10-20 4"},
	}, {
		name: "tumbling update",
		cfg:  WindowConfig{Kind: Tumbling, Size: 10 * s, Emit: EmitUpdate},
		evs:  []ev{{key: "a", t: 1}, {key: "a", t: 2}, {key: "a", t: 11}, {key: "a", t: 5, late: true}},
		want: []string{"a 0-10 1", "a 0-10 2", "a 10-20 1"},
	}, {
		name: "tumbling negative times and unkeyed",
		cfg:  WindowConfig{Kind: Tumbling, Size: 10 * s},
		evs:  []ev{{t: -1}, {t: -10}, {t: 0}},
		want: []string{"<nil> -10-0 2"},
		// CloseAll:
		closed: []string{"<nil> 0-10 1"},
	}, {
		name: "hopping membership",
		cfg:  WindowConfig{Kind: Hopping, Size: 10 * s, Hop: 2 * s, Emit: EmitUpdate},
		evs:  []ev{{key: "k", t: 7}},
		want: []string{"k -2-8 1", "k 0-10 1", "k 2-12 1", "k 4-14 1", "k 6-16 1"},
	}, {
		name:   "hopping final",
		cfg:    WindowConfig{Kind: Hopping, Size: 10 * s, Hop: 5 * s},
		evs:    []ev{{key: "k", t: 1}, {key: "k", t: 7}, {key: "k", t: 12}, {key: "k", t: 4, late: true}},
		want:   []string{"k -5-5 1", "k 0-10 2"},
		closed: []string{"k 5-15 2", "k 10-20 1"},
	}, {
		name:   "hopping partly late record counts where still open",
		cfg:    WindowConfig{Kind: Hopping, Size: 10 * s, Hop: 5 * s},
		evs:    []ev{{key: "k", t: 11}, {key: "k", t: 7}},
		want:   nil,
		closed: []string{"k 5-15 2", "k 10-20 1"},
	}, {
		name: "session extend, close and late",
		cfg:  WindowConfig{Kind: Session, Gap: 5 * s},
		evs: []ev{{key: "a", t: 0}, {key: "a", t: 3}, {key: "a", t: 8}, {key: "a", t: 20},
			{key: "a", t: 14, late: true}, {key: "a", t: 15}, {key: "a", t: 30}},
		want:   []string{"a 0-8 3", "a 15-20 2"},
		closed: []string{"a 30-30 1"},
	}, {
		name:   "session merge",
		cfg:    WindowConfig{Kind: Session, Gap: 5 * s, Grace: 10 * s},
		evs:    []ev{{key: "b", t: 100, v: "x"}, {key: "b", t: 110, v: "z"}, {key: "b", t: 105, v: "y"}},
		closed: []string{"b 100-110 3"},
	}, {
		name: "session update and keys",
		cfg:  WindowConfig{Kind: Session, Gap: 5 * s, Grace: 10 * s, Emit: EmitUpdate},
		evs: []ev{{key: "b", t: 100}, {key: int64(7), t: 101}, {key: "b", t: 110}, {key: "b", t: 105},
			{key: "b", t: 96}},
		want: []string{"b 100-100 1", "7 101-101 1", "b 110-110 1", "b 100-110 3", "b 96-110 4"},
	}, {
		name: "sliding",
		cfg:  WindowConfig{Kind: Sliding, Size: 3 * s, Grace: 1 * s},
		evs: []ev{{key: "a", t: 0}, {key: "a", t: 3}, {key: "a", t: 5}, {key: "a", t: 3.9, late: true},
			{key: "a", t: 4}, {key: "b", t: 4.5}, {key: "a", t: 8}},
		want: []string{"a -3-0 1", "a 0-3 2", "a 2-5 2", "a 1-4 2", "b 1.5-4.5 1", "a 5-8 2"},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWindower(t, tt.cfg, memWindowCache(t))
			checkLines(t, "Add outputs", feed(t, w, tt.evs), tt.want)
			checkLines(t, "CloseAll", closeAll(t, w), tt.closed)
			if n := w.Open(); n != 0 {
				t.Errorf("Open() = %d after CloseAll", n)
			}
		})
	}
}

func TestWindowerSessionMergeOrder(t *testing.T) {
	w := newWindower(t, WindowConfig{Kind: Session, Gap: 5 * time.Second, Grace: 10 * time.Second,
		Agg: mustAgg(t, "list")}, memWindowCache(t))
	feed(t, w, []ev{{key: "b", t: 100, v: "x"}, {key: "b", t: 110, v: "z"}})
	if n := w.Open(); n != 2 {
		t.Fatalf("Open() = %d before the bridge, want 2", n)
	}
	feed(t, w, []ev{{key: "b", t: 105, v: "y"}})
	if n := w.Open(); n != 1 {
		t.Fatalf("Open() = %d after the bridge, want 1", n)
	}
	// Merge(earlier, later), then Add of the bridging record.
	checkLines(t, "CloseAll", closeAll(t, w), []string{"b 100-110 [x z y]"})
}

// emojiCounter counts values per distinct string in first-seen order, like
// the cookbook's Counter.
type emojiCounter struct{}

func (emojiCounter) Init() any { return value.Object{} }
func (emojiCounter) Add(acc, v any) (any, error) {
	o := slices.Clone(acc.(value.Object))
	for i := range o {
		if o[i].Key == v.(string) {
			o[i].Value = o[i].Value.(int64) + 1
			return o, nil
		}
	}
	return append(o, value.Member{Key: v.(string), Value: int64(1)}), nil
}
func (emojiCounter) Merge(a, b any) (any, error) { return nil, errors.New("not used") }
func (emojiCounter) Result(acc any) (any, error) {
	var parts []string
	for _, m := range acc.(value.Object) {
		parts = append(parts, fmt.Sprintf("%s:%d", m.Key, m.Value))
	}
	return strings.Join(parts, " "), nil
}

// TestWindowerSlidingCookbook is the Slipstream cookbook's sliding window:
// size 3s over all emojis, one output per event.
func TestWindowerSlidingCookbook(t *testing.T) {
	c := memWindowCache(t)
	w := newWindower(t, WindowConfig{Kind: Sliding, Size: 3 * time.Second, Agg: emojiCounter{}}, c)
	events := []ev{
		{key: "all", t: 0.0, v: "🏆"}, {key: "all", t: 0.5, v: "📞"}, {key: "all", t: 1.0, v: "🐟"}, {key: "all", t: 2.0, v: "👌"},
		{key: "all", t: 3.5, v: "🏆"}, {key: "all", t: 4.0, v: "📞"}, {key: "all", t: 5.0, v: "🐟"}, {key: "all", t: 5.5, v: "👌"},
	}
	checkLines(t, "outputs", feed(t, w, events), []string{
		"all -3-0 🏆:1",
		"all -2.5-0.5 🏆:1 📞:1",
		"all -2-1 🏆:1 📞:1 🐟:1",
		"all -1-2 🏆:1 📞:1 🐟:1 👌:1",
		"all 0.5-3.5 📞:1 🐟:1 👌:1 🏆:1",
		"all 1-4 🐟:1 👌:1 🏆:1 📞:1",
		"all 2-5 👌:1 🏆:1 📞:1 🐟:1",
		"all 2.5-5.5 🏆:1 📞:1 🐟:1 👌:1",
	})
	// Evicted by the watermark: only records at >= 5.5-3 stay buffered.
	must(t, w.Flush())
	var buffered []any
	must(t, c.Range(RangeOptions{Prefix: []any{"w", "s"}}, func(k, v any) bool {
		buffered = append(buffered, v)
		return true
	}))
	if want := []any{"🏆", "📞", "🐟", "👌"}; !slices.Equal(buffered, want) {
		t.Errorf("buffered %v, want %v", buffered, want)
	}
	checkLines(t, "CloseAll", closeAll(t, w), nil)

	// The same with the list aggregator and a restart after every event.
	c2 := memWindowCache(t)
	var got []string
	for _, e := range events {
		w := newWindower(t, WindowConfig{Kind: Sliding, Size: 3 * time.Second, Agg: mustAgg(t, "list")}, c2)
		got = append(got, feed(t, w, []ev{e})...)
		must(t, w.Flush())
	}
	if want := "all 0.5-3.5 [📞 🐟 👌 🏆]"; len(got) != 8 || got[4] != want {
		t.Errorf("list outputs %q, want 8 with %q fifth", got, want)
	}
}

func TestWindowerCloseIdle(t *testing.T) {
	w := newWindower(t, WindowConfig{Kind: Tumbling, Size: 10 * time.Second}, memWindowCache(t))
	feed(t, w, []ev{{key: "a", t: 1}, {key: "b", t: 2}})
	wall := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	idle := func(d time.Duration) []string {
		t.Helper()
		rs, err := w.CloseIdle(wall.Add(d), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			out = append(out, fmtResult(r))
		}
		return out
	}
	checkLines(t, "first call starts the idle period", idle(0), nil)
	checkLines(t, "not idle long enough", idle(59*time.Second), nil)
	feed(t, w, []ev{{key: "a", t: 3}})
	checkLines(t, "an Add restarts the idle period", idle(61*time.Second), nil)
	checkLines(t, "still not idle", idle(120*time.Second), nil)
	checkLines(t, "idle", idle(121*time.Second), []string{"a 0-10 2", "b 0-10 1"})
	// The closed windows stay closed; newer windows open normally.
	feed(t, w, []ev{{key: "a", t: 4, late: true}, {key: "a", t: 10}})
	checkLines(t, "CloseAll", closeAll(t, w), []string{"a 10-20 1"})
}

func TestWindowerAggError(t *testing.T) {
	c := memWindowCache(t)
	w := newWindower(t, WindowConfig{Kind: Tumbling, Size: 10 * time.Second, Agg: mustAgg(t, "sum")}, c)
	feed(t, w, []ev{{key: "a", t: 1, v: int64(2)}})
	_, _, err := w.Add("a", sec(15), "x")
	if err == nil || err.Error() != `window "w": sum: value is a string, not a number` {
		t.Fatalf("Add of a string to sum: %v", err)
	}
	// Nothing changed: the watermark did not move, the window is open.
	checkLines(t, "after the error", feed(t, w, []ev{{key: "a", t: 2, v: 1.5}}), nil)
	checkLines(t, "CloseAll", closeAll(t, w), []string{"a 0-10 3.5"})
	if _, _, err := w.Add(map[string]any{"x": 1}, sec(30), 1); err == nil || !errors.Is(err, ErrBadKey) {
		t.Errorf("Add with a map key: %v, want ErrBadKey", err)
	}
}

func TestWindowConfigErrors(t *testing.T) {
	count, _ := BuiltinAggregator("count")
	for _, tt := range []struct {
		cfg  WindowConfig
		want string
	}{
		{WindowConfig{Kind: Tumbling, Agg: count}, `window: name must not be empty`},
		{WindowConfig{Kind: Tumbling, Name: "x"}, `window "x": agg must be set`},
		{WindowConfig{Kind: Tumbling, Name: "x", Agg: count}, `window "x": tumbling windows need a size > 0, got 0s`},
		{WindowConfig{Kind: Hopping, Name: "x", Agg: count, Size: time.Second, Hop: 2 * time.Second}, `window "x": hop must be > 0 and <= size (1s), got 2s`},
		{WindowConfig{Kind: Session, Name: "x", Agg: count}, `window "x": session windows need a gap > 0, got 0s`},
		{WindowConfig{Name: "x", Agg: count}, `window "x": kind must be tumbling, hopping, sliding or session, got WindowKind(0)`},
		{WindowConfig{Kind: Sliding, Name: "x", Agg: count, Size: time.Second, Grace: -1}, `window "x": grace must not be negative, got -1ns`},
	} {
		if _, err := NewWindower(tt.cfg, memWindowCache(t)); err == nil || err.Error() != tt.want {
			t.Errorf("NewWindower(%+v) = %v, want %s", tt.cfg, err, tt.want)
		}
	}
	// A changed size over stored windows is refused.
	c := memWindowCache(t)
	w := newWindower(t, WindowConfig{Kind: Tumbling, Size: time.Minute}, c)
	feed(t, w, []ev{{key: "a", t: 1}})
	must(t, w.Flush())
	_, err := NewWindower(WindowConfig{Kind: Tumbling, Size: time.Hour, Name: "w", Agg: count}, c)
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "tumbling size=1m0s, not tumbling size=1h0m0s") {
		t.Errorf("reopen with another size: %v", err)
	}
}

// restartEvents is a reproducible stream: several keys, mostly increasing
// times with disorder within a few seconds, some of it late.
func restartEvents() []ev {
	r := rand.New(rand.NewPCG(1, 2))
	var evs []ev
	for i := range 600 {
		t := float64(i)*0.5 - r.Float64()*4
		if r.IntN(10) == 0 {
			t -= 10 // some very late
		}
		evs = append(evs, ev{key: fmt.Sprintf("k%d", r.IntN(5)), t: t, v: int64(r.IntN(10))})
	}
	return evs
}

// run feeds evs, returning outputs and late flags without checking them.
func run(t *testing.T, w *Windower, evs []ev) (out []string, lates int) {
	t.Helper()
	for _, e := range evs {
		rs, late, err := w.Add(e.key, sec(e.t), e.v)
		if err != nil {
			t.Fatal(err)
		}
		if late {
			lates++
		}
		for _, r := range rs {
			out = append(out, fmtResult(r))
		}
	}
	return out, lates
}

// TestWindowerRestart feeds half the events, commits (Flush), reopens the
// store (a restart), feeds the rest and compares with an uninterrupted run,
// for every kind. A crash (no Flush before the reopen) loses what was added
// since the last Flush, and replaying the events after it gives exactly the
// outputs of the uninterrupted run from there: nothing counted twice.
func TestWindowerRestart(t *testing.T) {
	s := time.Second
	evs := restartEvents()
	for _, cfg := range []WindowConfig{
		{Kind: Tumbling, Size: 10 * s, Grace: 2 * s},
		{Kind: Tumbling, Size: 10 * s, Grace: 2 * s, Emit: EmitUpdate},
		{Kind: Hopping, Size: 10 * s, Hop: 3 * s, Grace: 1 * s},
		{Kind: Session, Gap: 2 * s, Grace: 3 * s},
		{Kind: Session, Gap: 2 * s, Grace: 3 * s, Emit: EmitUpdate},
		{Kind: Sliding, Size: 5 * s, Grace: 2 * s},
	} {
		for _, agg := range []string{"sum", "list"} {
			name := fmt.Sprintf("%s %s %s", cfg.Kind, cfg.Emit, agg)
			t.Run(name, func(t *testing.T) {
				cfg := cfg
				cfg.Agg, cfg.Name = mustAgg(t, agg), "r"
				w := newWindower(t, cfg, memWindowCache(t))
				split := len(evs) / 2
				commit := split / 3
				want1, late1 := run(t, w, evs[:commit])
				want2, late2 := run(t, w, evs[commit:])
				want2 = append(want2, closeAll(t, w)...)
				want, wantLate := append(slices.Clone(want1), want2...), late1+late2
				if wantLate == 0 || wantLate == len(evs) {
					t.Fatalf("%d late records: the test data does not exercise lateness", wantLate)
				}

				for _, mode := range []string{"clean", "crash"} {
					dir := t.TempDir()
					open := func() (*Store, *Windower) {
						st, err := Open(dir, WithSweepInterval(0))
						must(t, err)
						c, err := st.Cache("win", CacheConfig{})
						must(t, err)
						w, err := NewWindower(cfg, c.Deferred())
						must(t, err)
						st.OnCommit(w.Flush)
						return st, w
					}
					st, w := open()
					got, lates := run(t, w, evs[:commit])
					must(t, st.Commit(nil))
					more, l := run(t, w, evs[commit:split])
					if mode == "clean" {
						got, lates = append(got, more...), lates+l
						must(t, st.Commit(nil))
					}
					must(t, st.Close()) // without a commit: as good as kill -9

					st, w = open()
					from := split
					if mode == "crash" {
						from = commit // the source replays what was not committed
					}
					more, l = run(t, w, evs[from:])
					lates += l
					got = append(got, more...)
					got = append(got, closeAll(t, w)...)
					must(t, st.Close())
					checkLines(t, mode+" restart", got, want)
					if lates != wantLate {
						t.Errorf("%d late records, want %d", lates, wantLate)
					}
				}
			})
		}
	}
}

// TestWindowPartitions reads the same in-order events from three partitions
// in random interleavings: with the watermark the least over partitions, no
// record is late and the results equal those of one partition.
func TestWindowPartitions(t *testing.T) {
	type pev struct {
		part string
		ev
	}
	var parts [3][]pev
	for i := range 900 {
		p := i % 3
		parts[p] = append(parts[p], pev{fmt.Sprint(p), ev{key: fmt.Sprintf("k%d", i%7), t: float64(i) * 0.1, v: int64(1)}})
	}
	cfg := WindowConfig{Kind: Tumbling, Size: 5 * time.Second, Agg: mustAgg(t, "count"), Name: "p"}
	var want []string
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 3))
		w := newWindower(t, cfg, memWindowCache(t))
		if _, err := w.SetPartitions([]string{"0", "1", "2"}); err != nil {
			t.Fatal(err)
		}
		var next [3]int
		var got []string
		for {
			var open []int
			for p := range 3 {
				if next[p] < len(parts[p]) {
					open = append(open, p)
				}
			}
			if len(open) == 0 {
				break
			}
			p := open[rng.IntN(len(open))]
			n := 1 + rng.IntN(50) // a fetch of up to 50 records
			for ; n > 0 && next[p] < len(parts[p]); n-- {
				e := parts[p][next[p]]
				next[p]++
				rs, late, err := w.AddFrom(e.part, e.key, sec(e.t), e.v)
				if err != nil {
					t.Fatal(err)
				}
				if late {
					t.Fatalf("seed %d: record %v of partition %s is late", seed, e.ev, e.part)
				}
				for _, r := range rs {
					got = append(got, fmtResult(r))
				}
			}
		}
		got = append(got, closeAll(t, w)...)
		slices.Sort(got)
		if want == nil {
			want = got
			if len(want) != 7*18 {
				t.Fatalf("%d results, want %d", len(want), 7*18)
			}
		}
		checkLines(t, fmt.Sprintf("seed %d", seed), got, want)
	}
	// An idle partition stops holding the watermark back.
	w := newWindower(t, cfg, memWindowCache(t))
	must(t, ignoreOut(w.SetPartitions([]string{"0", "1"})))
	feedFrom := func(part string, ts float64) []WindowResult {
		rs, _, err := w.AddFrom(part, "k", sec(ts), int64(1))
		must(t, err)
		return rs
	}
	feedFrom("0", 1)
	if rs := feedFrom("0", 20); len(rs) != 0 {
		t.Fatalf("partition 1 has no record yet, but windows closed: %v", rs)
	}
	now := time.Unix(1000, 0)
	must(t, ignoreOut(w.CloseIdle(now, time.Minute))) // starts the idle period
	feedFrom("0", 21)
	rs, err := w.CloseIdle(now.Add(2*time.Minute), time.Minute)
	must(t, err)
	if len(rs) != 1 || fmtResult(rs[0]) != "k 0-5 1" {
		t.Errorf("after partition 1 went idle: %v", rs)
	}
}

func ignoreOut(_ []WindowResult, err error) error { return err }

func TestBuiltinAggregators(t *testing.T) {
	for _, tt := range []struct {
		agg    string
		in     []any
		want   any
		merged any // Merge(fold(in), fold(in))
	}{
		{"count", []any{"a", nil, 3}, int64(3), int64(6)},
		{"sum", []any{int64(1), int64(2)}, int64(3), int64(6)},
		{"sum", []any{int64(1), 0.5}, 1.5, 3.0},
		{"sum", []any{int64(1 << 62), int64(1 << 62)}, float64(1 << 63), float64(1 << 64)},
		{"sum", nil, int64(0), int64(0)},
		{"min", []any{int64(3), 1.5, int64(2)}, 1.5, 1.5},
		{"max", []any{"b", "c", "a"}, "c", "c"},
		{"min", nil, nil, nil},
		{"avg", []any{int64(1), int64(2)}, 1.5, 1.5},
		{"avg", nil, nil, nil},
		{"list", []any{"a", int64(1), "a"}, []any{"a", int64(1), "a"}, []any{"a", int64(1), "a", "a", int64(1), "a"}},
		{"set", []any{"b", int64(1), "b", 1.0, []any{"x"}, []any{"x"}}, []any{"b", int64(1), []any{"x"}}, []any{"b", int64(1), []any{"x"}}},
	} {
		t.Run(tt.agg, func(t *testing.T) {
			a := mustAgg(t, tt.agg)
			acc := a.Init()
			var err error
			for _, v := range tt.in {
				if acc, err = a.Add(acc, v); err != nil {
					t.Fatal(err)
				}
			}
			// Accumulators survive the store's encoding.
			b, err := EncodeValue(acc)
			must(t, err)
			acc, err = DecodeValue(b)
			must(t, err)
			got, err := a.Result(acc)
			must(t, err)
			if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", tt.want) {
				t.Errorf("Result = %#v, want %#v", got, tt.want)
			}
			m, err := a.Merge(acc, acc)
			must(t, err)
			if got, _ := a.Result(m); fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", tt.merged) {
				t.Errorf("Result(Merge) = %#v, want %#v", got, tt.merged)
			}
		})
	}
	_, err := BuiltinAggregator("median")
	if want := `unknown aggregator "median" (known: count, sum, min, max, avg, list, set)`; err == nil || err.Error() != want {
		t.Errorf("BuiltinAggregator(median) = %v, want %s", err, want)
	}
	mx := mustAgg(t, "max")
	if _, err := mx.Add("a", int64(1)); err == nil || err.Error() != "max: cannot compare a string with a number" {
		t.Errorf("max of a string and a number: %v", err)
	}
}
