package bindings_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// windowShow prints a window result as "key [start,end] value" with the
// value as JSON; every case runs its windows on a memory cache.
const windowShow = `
local c = cache.open("w", {memory = true})
local function show(w)
  return string.format("%s [%g,%g] %s", tostring(w.key), w.start, w["end"], json.encode(w.value))
end
local function t(e) return e.t end
local function k(e) return e.k end
`

func TestWindows(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"tumbling out of order inside grace", `
handle(iterate{{t = 1}, {t = 12}, {t = 5}, {t = 14}, {t = 9}, {t = 16}},
  {pipe = {window.tumbling{size = 10, grace = 5, time = t, agg = "list", cache = c}}}, show)`,
			// 5 and 9 arrive after 12 and 14 but within the grace: the
			// watermark (max - 5) stays below 10 until 16 arrives.
			`nil [0,10] [{"t":1},{"t":5},{"t":9}]
nil [10,20] [{"t":12},{"t":14},{"t":16}]
`},
		{"tumbling late after grace goes to the late sink", `
handle(iterate{{t = 1}, {t = 12}, {t = 16}, {t = 9}, {t = 21}},
  {pipe = {window.tumbling{size = 10, grace = 5, time = t, cache = c,
    late = function(v, key, meta) print("late", json.encode(v)) end}}}, show)`,
			`nil [0,10] 1
late	{"t":9}
nil [10,20] 2
nil [20,30] 1
`},
		{"field getters read by the operator; a late record keeps its key", `
handle(iterate{{t = 1, u = "a"}, {t = 12, u = "b"}, {t = 16, u = "a"}, {t = 9, u = "c"}, {t = 21, u = "a"}},
  {pipe = {window.tumbling{size = 10, grace = 5, cache = c, time = function(e) return e.t end,
    key = function(e) return e.u end,
    late = function(v, key, meta) print("late", key, json.encode(v)) end}}}, show)`,
			`a [0,10] 1
late	c	{"t":9,"u":"c"}
a [10,20] 1
b [10,20] 1
a [20,30] 1
`},
		{"late records without a late sink are dropped", `
handle(iterate{{t = 1}, {t = 12}, {t = 2}},
  {pipe = {window.tumbling{size = 10, time = t, cache = c}}}, show)`,
			`nil [0,10] 1
nil [10,20] 1
`},
		{"session merge", `
-- 1 and 9 start two sessions (gap 4); 5 is within 4 of both and merges
-- them: the accumulators are merged, earlier session first, then 5 added.
handle(iterate{{t = 1}, {t = 9}, {t = 5}, {t = 30}},
  {pipe = {window.session{gap = 4, grace = 10, time = t, agg = "list", cache = c}}}, show)`,
			`nil [1,9] [{"t":1},{"t":9},{"t":5}]
nil [30,30] [{"t":30}]
`},
		{"session merge with a table agg", `
local sum = {init = function() return 0 end, add = function(a, e) return a + e.t end,
  merge = function(a, b) return a + b end}
handle(iterate{{t = 1}, {t = 9}, {t = 5}},
  {pipe = {window.session{gap = 4, grace = 10, time = t, agg = sum, cache = c}}}, show)`,
			`nil [1,9] 15
`},
		{"hopping overlap membership", `
-- size 10, hop 5: 7 is in [0,10) and [5,15); 12 in [5,15) and [10,20).
handle(iterate{{t = 7}, {t = 12}},
  {pipe = {window.hopping{size = 10, hop = 5, time = t, agg = "list", cache = c}}}, show)`,
			`nil [0,10] [{"t":7}]
nil [5,15] [{"t":7},{"t":12}]
nil [10,20] [{"t":12}]
`},
		{"emit final", `
handle(iterate{{t = 1}, {t = 2}, {t = 11}},
  {pipe = {window.tumbling{size = 10, time = t, cache = c}}}, show)`,
			`nil [0,10] 2
nil [10,20] 1
`},
		{"emit update", `
handle(iterate{{t = 1}, {t = 2}, {t = 11}},
  {pipe = {window.tumbling{size = 10, time = t, emit = "update", cache = c}}}, show)`,
			`nil [0,10] 1
nil [0,10] 2
nil [10,20] 1
`},
		{"keyed", `
handle(iterate{{k = "a", t = 1}, {k = "b", t = 2}, {k = "a", t = 3}, {k = "b", t = 11}},
  {pipe = {window.tumbling{size = 10, time = t, key = k, agg = "count", cache = c}}}, show)`,
			// the watermark is shared by all keys: b's record at 11 closes
			// a's window too.
			`a [0,10] 2
b [0,10] 1
b [10,20] 1
`},
		{"sliding", `
handle(iterate{{t = 0}, {t = 1}, {t = 3}, {t = 2.5}, {t = 5}},
  {pipe = {window.sliding{size = 2, time = t, grace = 1, agg = "list", cache = c}}}, show)`,
			// 2.5 arrives after 3, inside the grace: it gets its own
			// window, and the window of 3, already emitted, is not revised.
			`nil [-2,0] [{"t":0}]
nil [-1,1] [{"t":0},{"t":1}]
nil [1,3] [{"t":1},{"t":3}]
nil [0.5,2.5] [{"t":1},{"t":2.5}]
nil [3,5] [{"t":3},{"t":5}]
`},
		{"aggregators", `
local vals = {3, 1, 3}
local got = {}
for _, agg in ipairs{"count", "sum", "min", "max", "avg", "list", "set"} do
  handle(iterate(vals), {pipe = {window.tumbling{size = 10, time = function() return 1 end,
      agg = agg, cache = c, name = agg}}},
    function(w) got[#got + 1] = agg .. " " .. json.encode(w.value) end)
end
on_stop(function() table.sort(got); print(table.concat(got, "\n")) end)`,
			`avg 2.3333333333333335
count 3
list [3,1,3]
max 3
min 1
set [3,1]
sum 7
`},
		{"meta.time is the default time", `
local src = iterate{1, 2}
handle(src, {pipe = {pipe.map(function(v, m) m.time = v * 100; return v end),
  window.tumbling{size = 1000, cache = c}}}, show)`,
			`nil [0,1000] 2
`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, stderr, err := runCache(t, "", windowShow+tt.src)
			if err != nil {
				t.Fatalf("%v\nstderr:\n%s", err, stderr)
			}
			if got != tt.want {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestWindowErrors(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"size missing", `window.tumbling{}`,
			`job.lua:1: window.tumbling: size must be a duration like "1m" or a number of seconds, got nil`},
		{"gap missing", `window.session{size = 1}`,
			`job.lua:1: window.session: unknown option "size" (known: agg, cache, emit, gap, grace, idle, key, late, name, time)`},
		{"hop larger than size", `window.hopping{size = 10, hop = 20}`,
			`job.lua:1: window.hopping: window "hopping1": hop must be > 0 and <= size (10s), got 20s`},
		{"unknown agg", `window.tumbling{size = 1, agg = "median"}`,
			`job.lua:1: window.tumbling: agg: unknown aggregator "median" (known: count, sum, min, max, avg, list, set)`},
		{"agg table without add", `window.tumbling{size = 1, agg = {init = function() return 0 end}}`,
			`job.lua:1: window.tumbling: agg table needs an add function: {init=, add=, merge=}`},
		{"bad emit", `window.tumbling{size = 1, emit = "always"}`,
			`job.lua:1: window.tumbling: emit must be "final" or "update", got "always"`},
		{"bad late", `window.tumbling{size = 1, late = 3}`,
			`job.lua:1: window.tumbling: late must be a sink or a function, got number`},
		{"bad cache", `window.tumbling{size = 1, cache = 3}`,
			`job.lua:1: window.tumbling: cache must be a cache from cache.open, got number`},
		{"flush_every is gone", `window.tumbling{size = 1, flush_every = 100}`,
			`job.lua:1: window.tumbling: flush_every was removed: windows are committed with the input position (see "Guarantees" in the docs)`},
		// Raised while a record is processed: named at the operator's line,
		// not inside streamctl's pipe driver.
		{"time of the wrong type", "local w = window.tumbling{size = 10,\n  time = function(v) return v.t end}\n" +
			`handle(iterate{{t = 1}, {t = "x"}}, {pipe = {w}}, function(r) end)`,
			`job.lua:1: window: time must return Unix seconds (a number), got string "x" (record iterate:2)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := runCache(t, "", tt.src)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error:\n%v\nwant:\n%s", err, tt.want)
			}
		})
	}
}

// TestWindowConfigChange: windows persisted under a name refuse a run that
// changed the kind or size under the same name.
func TestWindowConfigChange(t *testing.T) {
	dir := t.TempDir()
	src := func(size int) string {
		return fmt.Sprintf(`handle(iterate{{t = 1}}, {pipe = {window.tumbling{size = %d, name = "w",
  time = function(e) return e.t end}}}, function(w) return w.value end)`, size)
	}
	if out, stderr, err := runCache(t, dir, src(10)); err != nil || out != "1\n" {
		t.Fatalf("first run: %q %v\n%s", out, err, stderr)
	}
	_, _, err := runCache(t, dir, src(20))
	want := `job.lua:1: window.tumbling: window "w": load: the stored windows are tumbling size=10s, not tumbling size=20s; use another name or clear them`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

// windowRestartScript runs one window operator (args.kind) over the events
// from the position stored in the cache "pos" on: 300 events of 3 keys, every
// fifth one swapped with the one before (out of order, inside the grace).
// At the end it prints "# next N": where the next run starts.
// With args.stop_after = n it calls stop() at the n-th record and drops the
// records the drain still delivers (iterate keeps reading for a while after
// stop(), see the report), so exactly n are added; "pos" says where the next
// run starts, and the open windows stay in the state directory's "windows"
// cache.
const windowRestartScript = `
local pos = cache.open("pos")
local events = {}
for i = 1, 300 do events[i] = {i = i, k = "k" .. (i % 3), t = i * 1.5} end
for i = 5, 300, 5 do events[i], events[i - 1] = events[i - 1], events[i] end
for n, e in ipairs(events) do e.n = n end -- position in the stream
local next_i = pos:get("next", 1)
local function gen()
  local e = events[next_i]
  next_i = next_i + 1
  return e
end
local ops = {
  tumbling = function() return window.tumbling{size = 10, grace = 3, agg = "list", time = T, key = K} end,
  hopping = function() return window.hopping{size = 10, hop = 5, grace = 3, agg = "list", time = T, key = K} end,
  sliding = function() return window.sliding{size = 6, grace = 3, agg = "list", time = T, key = K} end,
  session = function() return window.session{gap = 1.6, grace = 3, agg = "list", time = T, key = K} end,
}
T = function(e) return e.t end
K = function(e) return e.k end
local stop_after, seen = tonumber(args.stop_after or 0), 0
handle(iterate(gen), {pipe = {pipe.map(function(e)
  if seen == stop_after and stop_after > 0 then return nil end
  pos:put("next", e.n + 1)
  seen = seen + 1
  if seen == stop_after then stop() end
  return e
end), ops[args.kind]()}}, function(w)
  local ids = {}
  for _, e in ipairs(w.value) do ids[#ids + 1] = e.i end
  table.sort(ids)
  return string.format("%s [%g,%g] %s", w.key, w.start, w["end"], table.concat(ids, ","))
end)
on_stop(function() print("# next " .. pos:get("next", 1)) end)
`

// TestWindowRestart stops a run with stop() in the middle (open windows stay
// in the state directory) and runs again over the rest: together the two
// runs emit exactly what one uninterrupted run emits, none lost, none twice.
func TestWindowRestart(t *testing.T) {
	run := func(t *testing.T, dir, kind string, stopAfter int) []string {
		t.Helper()
		set := [][2]string{{"kind", kind}, {"stop_after", fmt.Sprint(stopAfter)}}
		out, stderr, err := runJob(t, dir, windowRestartScript, set)
		if err != nil {
			t.Fatalf("%v\nstderr:\n%s", err, stderr)
		}
		var lines []string
		for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if n, ok := strings.CutPrefix(l, "# next "); ok {
				if stopAfter > 0 && n != fmt.Sprint(stopAfter+1) {
					t.Fatalf("stop() after %d records: next is %s", stopAfter, n)
				}
				continue
			}
			lines = append(lines, l)
		}
		return lines
	}
	for _, kind := range []string{"tumbling", "hopping", "sliding", "session"} {
		for _, stopAfter := range []int{7, 120, 230} {
			t.Run(fmt.Sprintf("%s/stop_after=%d", kind, stopAfter), func(t *testing.T) {
				t.Parallel()
				want := run(t, t.TempDir(), kind, 0)
				dir := t.TempDir()
				first := run(t, dir, kind, stopAfter)
				got := append(first, run(t, dir, kind, 0)...)
				if len(want) < 10 {
					t.Fatalf("uninterrupted run emitted only %d windows: %q", len(want), want)
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("two runs emitted (%d)\n%s\none run emits (%d)\n%s", len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
				}
			})
		}
	}
}
