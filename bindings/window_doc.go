package bindings

// windowReference is the reference of the window module (window.go), beside it as
// benthos keeps a component's spec beside the component.
var windowReference = moduleRef{
	ModuleDoc: ModuleDoc{Name: "window", Summary: "Event-time windows as pipe operators (´handle(src, {pipe = {window.tumbling{...}}}, fn)´): tumbling, hopping, sliding and session windows per key, with a watermark (greatest event time seen minus ´grace´), late records sent to a sink, and ´emit = \"final\"´ or ´\"update\"´. Outputs are ´{key =, start =, [\"end\"] =, value =}´. Open windows persist in a cache (´\"windows\"´ of the state directory), so a restart or a signal loses none; a finite input's end closes them all. Window operators run in the main state: use them in handlers with ´workers = 1´."},
	Classes: []Class{
		{Name: "window.Options", Doc: "The options every window kind takes.", Fields: []Field{
			{"time", "fun(value: any, meta: streamctl.meta): number", "Event time in Unix seconds; default meta.time, else arrival time."},
			{"key", "fun(value: any, meta: streamctl.meta): any", "Groups windows; default one group."},
			{"agg", "\"count\"|\"sum\"|\"min\"|\"max\"|\"avg\"|\"list\"|\"set\"|window.Aggregator", "The aggregation; default ´\"count\"´."},
			{"grace", "streamctl.duration", "How late records may come; default 0."},
			{"emit", "\"final\"|\"update\"", "Emit windows when they close, or at every record; default ´\"final\"´."},
			{"late", "streamctl.sink", "Where late records go; default dropped."},
			{"idle", "streamctl.duration", "Close a key's windows after that long without records."},
			{"cache", "streamctl.cache", "Where the windows are kept; default the cache \"windows\"."},
			{"name", "string", "Name of the windows in the cache; default the kind and position."},
		}},
		{Name: "window.TumblingOptions", Parent: "window.Options", Doc: "The options of ´window.tumbling{}´.", Fields: []Field{{"size", "streamctl.duration", "Window length; required."}}},
		{Name: "window.HoppingOptions", Parent: "window.Options", Doc: "The options of ´window.hopping{}´.", Fields: []Field{
			{"size", "streamctl.duration", "Window length; required."},
			{"hop", "streamctl.duration", "Distance between window starts; required."},
		}},
		{Name: "window.SlidingOptions", Parent: "window.Options", Doc: "The options of ´window.sliding{}´.", Fields: []Field{{"size", "streamctl.duration", "Window length; required."}}},
		{Name: "window.SessionOptions", Parent: "window.Options", Doc: "The options of ´window.session{}´.", Fields: []Field{{"gap", "streamctl.duration", "Inactivity that ends a session; required."}}},
		{Name: "window.Aggregator", Doc: "An aggregation written in Lua.", Fields: []Field{
			{"init", "fun(): any", "The empty aggregate."},
			{"add", "fun(acc: any, value: any): any", "Adds a record."},
			{"merge", "fun(a: any, b: any): any", "Merges two aggregates (session windows)."},
		}},
	},
	Entries: []Doc{
		{
			Module:  "window",
			Name:    "window.tumbling",
			Syntax:  `op = window.tumbling{size = d [, time = fn] [, key = fn] [, agg = a] [, grace = d] [, emit = "final"|"update"] [, late = sink] [, idle = d] [, cache = c] [, name = s]}`,
			Type:    "fun(opts: window.TumblingOptions): streamctl.window",
			Context: "top level (the operator runs in its handler; main state only: workers = 1)",
			Text: `
Returns, without waiting, a pipe operator that groups records into fixed, non-overlapping event-time
windows ´[start, start + size)´ (starts are multiples of ´size´ since the Unix epoch) per key, and emits
´{key =, start =, ["end"] =, value =}´ for each. ´time(value, meta)´ gives the event time in Unix seconds
(default ´meta.time´, else the arrival time); ´key(value, meta)´ groups windows (default: one group, key
nil). ´agg´ is ´"count"´ (the default), ´"sum"´, ´"min"´, ´"max"´, ´"avg"´, ´"list"´, ´"set"´ or a table
´{init = fn() -> acc, add = fn(acc, value) -> acc, merge = fn(acc1, acc2) -> acc}´.

The watermark is the greatest event time seen minus ´grace´ (default 0), tracked per input partition
(each Kafka partition): the operator's watermark is the least over the partitions that are not idle, and
a Kafka partition assigned to the job holds it back until its first record, so records of a partition
read later than the others are not late. A partition without records for ´idle´ stops holding it back. A window closes when the
watermark reaches its end; with ´emit = "final"´ (the default) it is emitted then, once; with
´emit = "update"´ it is emitted after every record that changes it and not at close. A record whose
window is already closed is late: it goes to ´late´ (a sink or a function ´function(value, key, meta)´),
else it is dropped. ´idle = d´ closes the windows of a key that got no record for ´d´ of wall-clock time.

Open windows and the watermark live in memory and persist in a cache: ´cache´, else the cache
´"windows"´ of the state directory, under ´name´ (default the kind and the operator's position in the
script, e.g. ´"tumbling1"´), written at each commit with the positions of the records they hold (see
"State commits"): a restart with the same script continues them, and after a ´kill -9´ the records since
the last commit are handled again, so no record counts twice and none is lost; a result emitted after the
last commit is emitted again, with the same value. When a finite input ends, every open window is emitted;
on a signal or ´stop()´ they stay in the cache for the next run. (´flush_every´ is gone: a script that
still sets it gets an error saying so.)
Raises ´window.tumbling: size must be a duration like "1m" or a number of seconds, got nil´ and
´window.tumbling: agg: unknown aggregator "median" (known: count, sum, min, max, avg, list, set)´; using the
operator in a handler with ´workers > 1´ raises when a record arrives.
`,
			Example: `
local c = cache.open("w", {memory = true})
local clicks = {{user = "ann", t = 1}, {user = "bo", t = 2}, {user = "ann", t = 8}, {user = "ann", t = 12}}
handle(iterate(clicks), {pipe = {window.tumbling{size = "10s", cache = c,
    time = function(click) return click.t end, key = function(click) return click.user end}}},
  function(w) return string.format("%s [%g, %g): %d clicks", w.key, w.start, w["end"], w.value) end)
`,
			SeeAlso: []string{"window.hopping", "window.sliding", "window.session", "handle"},
		},
		{
			Module:  "window",
			Name:    "window.hopping",
			Syntax:  `op = window.hopping{size = d, hop = d [, time =, key =, agg =, grace =, emit =, late =, idle =, cache =, name =]}`,
			Type:    "fun(opts: window.HoppingOptions): streamctl.window",
			Context: "top level (the operator runs in its handler; main state only: workers = 1)",
			Text: `
Returns, without waiting, a pipe operator of overlapping windows ´[start, start + size)´ whose starts are
multiples of ´hop´ (´0 < hop <= size´): a record belongs to every such window that contains its time,
about ´size / hop´ of them. With ´emit = "update"´ a record gives one result per window it updates. The
other options, the watermark, late records and persistence are those of ´window.tumbling´. Raises
´window.hopping: window "hopping1": hop must be > 0 and <= size (10s), got 20s´.
`,
			Example: `
local c = cache.open("w", {memory = true})
handle(iterate{1, 4, 6, 12}, {pipe = {window.hopping{size = 10, hop = 5, agg = "list", cache = c,
    time = function(t) return t end}}},
  function(w) return string.format("[%g, %g): %s", w.start, w["end"], json.encode(w.value)) end)
`,
			SeeAlso: []string{"window.tumbling"},
		},
		{
			Module:  "window",
			Name:    "window.sliding",
			Syntax:  `op = window.sliding{size = d [, time =, key =, agg =, grace =, late =, cache =, name =]}`,
			Type:    "fun(opts: window.SlidingOptions): streamctl.window",
			Context: "top level (the operator runs in its handler; main state only: workers = 1)",
			Text: `
Returns, without waiting, a pipe operator that emits, for every record at time ´t´, the window
´[t - size, t]´ (both ends included) of its key: the records of that key whose times fall in it, including
earlier out-of-order ones. One result per record, at once (´emit´ is ignored); later records never revise
an emitted result. A record older than the watermark is late. Records are kept (in the cache) until the
watermark passes them by ´size´. Raises ´window.sliding: size must be a duration like "1m" or a number of
seconds, got nil´.
`,
			Example: `
local c = cache.open("w", {memory = true})
local events = {{"a", 0}, {"b", 1}, {"c", 2.5}, {"d", 4}}
handle(iterate(events), {pipe = {window.sliding{size = 2, agg = "list", cache = c,
    time = function(e) return e[2] end}}},
  function(w)
    local names = {}
    for _, e in ipairs(w.value) do names[#names + 1] = e[1] end
    return w["end"] .. ": " .. table.concat(names, " ")
  end)
`,
			SeeAlso: []string{"window.tumbling"},
		},
		{
			Module:  "window",
			Name:    "window.session",
			Syntax:  `op = window.session{gap = d [, time =, key =, agg =, grace =, emit =, late =, idle =, cache =, name =]}`,
			Type:    "fun(opts: window.SessionOptions): streamctl.window",
			Context: "top level (the operator runs in its handler; main state only: workers = 1)",
			Text: `
Returns, without waiting, a pipe operator of session windows: per key, records whose times are at most
´gap´ apart form one session; a record within ´gap´ of two open sessions merges them (a table ´agg´ needs
´merge´). ´start´ and ´["end"]´ of a result are the first and last event times of the session, which closes
when the watermark passes its last event time plus ´gap´. The other options are those of
´window.tumbling´. Raises ´window.session: gap must be a duration like "1m" or a number of seconds, got nil´.
`,
			Example: `
local c = cache.open("w", {memory = true})
local visits = {{"ann", 0}, {"ann", 20}, {"bo", 30}, {"ann", 500}}
handle(iterate(visits), {pipe = {window.session{gap = "5m", cache = c,
    time = function(v) return v[2] end, key = function(v) return v[1] end}}},
  function(s) return string.format("%s %g-%g: %d pages", s.key, s.start, s["end"], s.value) end)
`,
			SeeAlso: []string{"window.tumbling"},
		},
	},
}
