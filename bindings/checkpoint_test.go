package bindings_test

import (
	"testing"
)

// cpSetup opens a checkpoint "activity" with one dependency "weather"
// (threshold 1h) on a memory cache, whose callbacks print.
const cpSetup = `
local cp = checkpoint.new("activity", {cache = cache.open("cp", {memory = true}),
  dependencies = {{name = "weather", threshold = "1h"}},
  on_downtime = function(cp, dep) print("down", dep.name, dep.checkpoint_time, dep.down) end,
  on_recovery = function(cp, dep) print("up", dep.name, dep.checkpoint_time, dep.checkpoint_state["0"], dep.down) end})
`

func TestCheckpoint(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"no false alarm at start", `
print(cp:pulse(10000, {["0"] = 0}))
print(cp:pulse(13600, {["0"] = 1}))
print(cp:pulse(13601, {["0"] = 2}))
print(cp:pulse(13700, {["0"] = 3}))`,
			// the first pulse initialises the dependency at 10000; the
			// threshold is exceeded strictly; on_downtime runs once.
			"nil\nnil\ndown\tweather\t10000\ttrue\n3601\n3700\n"},
		{"recovery needs a heartbeat later than the last pulse", `
cp:heartbeat(0)
cp:pulse(1800, {["0"] = 0})
print(cp:pulse(5400, {["0"] = 2}))
cp:heartbeat(3600)
print(cp:dep().down, cp:dep().checkpoint_state["0"])
cp:heartbeat(5400)
print(cp:dep().down)
cp:heartbeat(5401)
print(cp:dep().down, cp:pulse(5402, {["0"] = 3}))`,
			"down\tweather\t0\ttrue\n5400\ntrue\t2\ntrue\nup\tweather\t5401\t2\tfalse\nfalse\tnil\n"},
		{"pulse merges state", `
cp:pulse(1, {["0"] = 5, ["1"] = 7})
cp:pulse(2, {["1"] = 8})
cp:heartbeat("weather", 3)
local st = cp:dep("weather").checkpoint_state
print(st["0"], st["1"], cp:dep("weather").checkpoint_time)`,
			"5\t8\t3\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, stderr, err := runCache(t, "", cpSetup+tt.src)
			if err != nil {
				t.Fatalf("%v\nstderr:\n%s", err, stderr)
			}
			if got != tt.want {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestCheckpointErrors(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"no dependencies", `checkpoint.new("a", {})`,
			`job.lua:1: checkpoint.new: dependencies must be a list like {{name = "weather", threshold = "1h"}}, got nil`},
		{"dependent cannot pause", `checkpoint.new("a", {dependent = iterate{1}, dependencies = {{name = "w"}}})`,
			`job.lua:1: checkpoint.new: dependent must be a source that can pause (a Kafka topic or a followed file), got iterate`},
		{"unknown option", `checkpoint.new("a", {dependencies = {{name = "w"}}, treshold = 1})`,
			`job.lua:1: checkpoint.new: unknown option "treshold" (known: cache, dependencies, dependent, on_downtime, on_recovery)`},
		{"heartbeat needs a name", `
local cp = checkpoint.new("a", {dependencies = {{name = "w"}, {name = "x"}}})
cp:heartbeat(5)`,
			`job.lua:3: checkpoint:heartbeat: checkpoint "a": heartbeat needs a dependency name: there are 2 (w, x)`},
		{"unknown dependency", `
local cp = checkpoint.new("a", {dependencies = {{name = "w"}}})
cp:dep("x")`,
			`job.lua:3: checkpoint:dep: checkpoint "a": unknown dependency "x" (known: w)`},
		{"pulse without t", `
local cp = checkpoint.new("a", {dependencies = {{name = "w"}}})
cp:pulse()`,
			`job.lua:3: checkpoint:pulse: t must be a number, got nil`},
		{"self", `
local cp = checkpoint.new("a", {dependencies = {{name = "w"}}})
cp.pulse(1)`,
			`job.lua:3: checkpoint:pulse: self must be a checkpoint, got number (call it as cp:pulse(...))`},
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

// TestCheckpointPersists: a checkpoint that is down stays down in the next
// run with the same state directory, and recovers there.
func TestCheckpointPersists(t *testing.T) {
	dir := t.TempDir()
	const src = `
local cp = checkpoint.new("activity", {dependencies = {{name = "weather", threshold = "1h"}},
  on_recovery = function(cp, dep) print("recovered, seek to", dep.checkpoint_state["0"]) end})
`
	out, stderr, err := runCache(t, dir, src+`
cp:heartbeat(0)
print(cp:pulse(7200, {["0"] = 4}))`)
	if err != nil || out != "7200\n" {
		t.Fatalf("first run: %q %v\n%s", out, err, stderr)
	}
	out, stderr, err = runCache(t, dir, src+`
local dep = cp:dep()
print(dep.down, dep.checkpoint_time)
cp:heartbeat(7300)`)
	if want := "true\t0\nrecovered, seek to\t4\n"; err != nil || out != want {
		t.Fatalf("second run: %q %v, want %q\n%s", out, err, want, stderr)
	}
}
