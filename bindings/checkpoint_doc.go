package bindings

// checkpointReference is the reference of the checkpoint module (checkpoint.go), beside it as
// benthos keeps a component's spec beside the component.
var checkpointReference = moduleRef{
	ModuleDoc: ModuleDoc{Name: "checkpoint", Summary: "Stream synchronization, as Slipstream's ´Checkpoint´: a dependent stream (activities) pulses its event time and position, the dependency streams it is enriched from (weather) heartbeat theirs; when a dependency lags by more than its threshold the dependent is paused, and when it catches up the dependent resumes and may seek back to reprocess what was enriched with stale data. The checkpoint persists in a cache (´\"checkpoints\"´ of the state directory)."},
	Classes: []Class{
		{Name: "checkpoint.Options", Doc: "The options of ´checkpoint.new(name, opts)´.", Fields: []Field{
			{"dependent", "streamctl.source", "The source paused while a dependency is down."},
			{"dependencies", "checkpoint.Dependency[]", "The dependencies; required."},
			{"on_downtime", "fun(cp: streamctl.checkpoint, dep: checkpoint.Dep)", "Called when a dependency goes down."},
			{"on_recovery", "fun(cp: streamctl.checkpoint, dep: checkpoint.Dep)", "Called when every dependency is up again."},
			{"cache", "streamctl.cache", "Where the checkpoint is kept; default the cache \"checkpoints\"."},
		}},
		{Name: "checkpoint.Dependency", Doc: "A dependency in ´opts.dependencies´.", Fields: []Field{
			{"name", "string", "Required."},
			{"threshold", "streamctl.duration", "Downtime that counts as down; default 10 minutes."},
		}},
		{Name: "checkpoint.Dep", Doc: "A dependency's state, from ´cp:dep()´ and the hooks.", Fields: []Field{
			{"name", "string", ""},
			{"checkpoint_time", "number?", "Its last heartbeat's time."},
			{"checkpoint_state", "table?", "The dependent's state at that heartbeat."},
			{"down", "boolean", "Whether it is down."},
		}},
	},
	Entries: []Doc{
		{
			Module:  "checkpoint",
			Name:    "checkpoint.new",
			Syntax:  `cp = checkpoint.new(name, {dependencies = {{name = s [, threshold = d]}, ...} [, dependent = source] [, on_downtime = fn] [, on_recovery = fn] [, cache = c]})`,
			Type:    "fun(name: string, opts: checkpoint.Options): streamctl.checkpoint",
			Context: "top level",
			Text: `
Returns, without waiting, a checkpoint that watches the dependency streams a dependent stream relies on
(say weather for activities enriched with it), in event time. The dependent calls ´cp:pulse(t, state)´ per
record, each dependency ´cp:heartbeat(name, t)´. When a dependency's downtime (the dependent's time minus
the dependency's last heartbeat time) exceeds its ´threshold´ (strictly; default 10 minutes), the
´dependent´ source (a Kafka topic or a followed file) is paused and ´on_downtime(cp, dep)´ runs once; when a
heartbeat later than the dependent's last pulse brings the last down dependency back, the dependent is
resumed and ´on_recovery(cp, dep)´ runs, typically ´topic:seek(dep.checkpoint_state)´ to reprocess what
may have been enriched with stale data. Everything persists in ´cache´, else the cache ´"checkpoints"´ of
the state directory, under ´name´: a restart keeps the checkpoint (and a paused dependent starts paused).
Raises ´checkpoint.new: dependencies must be a list like {{name = "weather", threshold = "1h"}}, got nil´
and ´checkpoint.new: dependent must be a source that can pause (a Kafka topic or a followed file), got iterate´.
`,
			Example: `
local cp = checkpoint.new("activity", {cache = cache.open("cp", {memory = true}),
  dependencies = {{name = "weather", threshold = "1h"}},
  on_downtime = function(cp, dep) print(dep.name .. " is down") end,
  on_recovery = function(cp, dep) print(dep.name .. " is back") end})
cp:pulse(0, {["0"] = 0})    -- activity at 0:00, Kafka offset 0
cp:heartbeat("weather", 0)
print(cp:pulse(5400, {["0"] = 1}))  -- 1:30 later, no weather: 5400
cp:heartbeat("weather", 6000)
`,
			SeeAlso: []string{"checkpoint:pulse", "checkpoint:heartbeat", "checkpoint:dep", "topic:seek"},
		},
		{
			Module:    "checkpoint",
			Name:      "checkpoint:heartbeat",
			Syntax:    `cp:heartbeat([dep,] t)`,
			Type:      "fun(dep: string, t: number)",
			Overloads: []string{"fun(t: number)"},
			Context:   "top level, handler, hook; any worker",
			Text: `
Records, without waiting, that dependency ´dep´ (optional when there is only one) made progress to event
time ´t´: ´dep.checkpoint_time = t´ and ´dep.checkpoint_state´ = a copy of the dependent's current state.
If ´dep´ is down and ´t´ is later than the dependent's last pulse, it is up again; when no dependency is
down any more, the dependent is resumed and ´on_recovery(cp, dep)´ runs before the call returns. Raises
´checkpoint:heartbeat: checkpoint "activity": unknown dependency "wether" (known: weather)´.
`,
			Example: `
local cp = checkpoint.new("activity", {cache = cache.open("cp", {memory = true}),
  dependencies = {{name = "weather"}}})
cp:heartbeat(time.parse("2024-05-01 10:00:00"))
print(cp:dep().checkpoint_time)
`,
			SeeAlso: []string{"checkpoint.new", "checkpoint:pulse"},
		},
		{
			Module:  "checkpoint",
			Name:    "checkpoint:pulse",
			Syntax:  `downtime = cp:pulse(t [, state])`,
			Type:    "fun(t: number, state?: table): number?",
			Context: "top level, handler, hook; any worker",
			Text: `
Records, without waiting, that the dependent is at event time ´t´ and merges ´state´ (a table, e.g. the Kafka
offsets to reprocess from: ´{[tostring(meta.partition)] = meta.offset}´) into its state. A dependency without
a heartbeat yet starts at this ´t´ and state (no false alarm at start). A dependency whose downtime exceeds
its threshold is marked down: the dependent is paused and ´on_downtime(cp, dep)´ runs once, before the call
returns. Returns the downtime in seconds while any dependency is down, else nil. Raises
´checkpoint:pulse: t must be a number, got nil´.
`,
			Example: `
local cp = checkpoint.new("activity", {cache = cache.open("cp", {memory = true}),
  dependencies = {{name = "weather", threshold = "1h"}}})
cp:heartbeat(0)
print(cp:pulse(1800, {["0"] = 0}), cp:pulse(5400, {["0"] = 1}))  -- nil 5400
`,
			SeeAlso: []string{"checkpoint.new", "checkpoint:heartbeat"},
		},
		{
			Module:  "checkpoint",
			Name:    "checkpoint:dep",
			Syntax:  `dep = cp:dep([name])`,
			Type:    "fun(name?: string): checkpoint.Dep",
			Context: "top level, handler, hook; any worker",
			Text: `
Returns, without waiting, a snapshot of a dependency (´name´ optional when there is only one):
´{name =, checkpoint_time =, checkpoint_state =, down =}´, the table ´on_downtime´ and ´on_recovery´
receive. ´checkpoint_time´ and ´checkpoint_state´ are nil before the first heartbeat or pulse; changing
the table changes nothing. Raises ´checkpoint:dep: checkpoint "activity": unknown dependency "x" (known: weather)´.
`,
			Example: `
local cp = checkpoint.new("activity", {cache = cache.open("cp", {memory = true}),
  dependencies = {{name = "weather", threshold = "1h"}}})
cp:pulse(100, {["0"] = 7})
local dep = cp:dep("weather")
print(dep.name, dep.checkpoint_time, dep.checkpoint_state["0"], dep.down)
`,
			SeeAlso: []string{"checkpoint.new"},
		},
	},
}
