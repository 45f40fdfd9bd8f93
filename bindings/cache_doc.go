package bindings

// cacheReference is the reference of the cache module (cache.go), beside it as
// benthos keeps a component's spec beside the component.
var cacheReference = moduleRef{
	ModuleDoc: ModuleDoc{Name: "cache", Summary: "Persistent key/value caches in the state directory's goleveldb database (´--state-dir´, default ´./.streamctl/´), shared by every handler and worker of the process and by later runs. Writes made while handling records are committed with the positions of their sources (see \"State commits\"); writes from the top level and hooks are durable when the call returns. A cache is also a sink (´{sink = c}´: each record's ´value, key´ is stored and published) and ´c(key, value)´ stores and publishes one entry to ´c:updates()´. Keys are strings, numbers, booleans or lists of them (tuples), sorted by type (booleans, numbers, strings, tuples), then by value; values are any Lua value without functions or cycles and round-trip exactly. One job holds a state directory at a time: a second process opening a cache of it exits 75 (´streamctl state ls|get|dump´ read the holder's last commit instead); a damaged directory names ´streamctl state repair´."},
	Classes: []Class{
		{Name: "cache.OpenOptions", Doc: "The options of ´cache.open(name, opts)´.", Fields: []Field{
			{"memory", "boolean", "Keep the cache in memory only; default false."},
			{"ttl", "streamctl.duration", "Default time to live of entries."},
			{"sync", "boolean", "fsync every write; default false."},
			{"partitioned_by", "streamctl.topic", "A Kafka topic with a group: one shard per partition, restored from a changelog topic."},
			{"global", "string", "A compacted Kafka topic this cache is a local copy of."},
		}},
		{Name: "cache.PutOptions", Doc: "The options of ´c:put(key, value, opts)´.", Fields: []Field{{"ttl", "streamctl.duration", "This entry's time to live."}}},
		{Name: "cache.RangeOptions", Doc: "The options of ´c:range{}´.", Fields: []Field{
			{"from", "streamctl.key", "The first key (inclusive)."},
			{"to", "streamctl.key", "The end key (exclusive)."},
			{"prefix", "streamctl.key", "Keys starting with this string or tuple."},
			{"reverse", "boolean", "Descending order; default false."},
			{"limit", "integer", "At most this many entries."},
		}},
	},
	Entries: []Doc{
		{
			Module:  "cache",
			Name:    "cache.open",
			Syntax:  `c = cache.open(name [, {memory = false, ttl = nil, sync = false, partitioned_by = topic, global = TOPIC}])`,
			Type:    "fun(name: string, opts?: cache.OpenOptions): streamctl.cache",
			Context: "top level, handler, hook; any worker",
			Text: `
Opens the cache ´name´ and returns it; it does not wait (the state directory's database is opened,
created if needed, and locked on the first call). Every call with the same name in the process, in the
main state or a worker state, returns the same cache. ´memory = true´ keeps it in memory only (nothing
persisted or locked); ´ttl´ (a duration) is the default time to live of entries, counted from their last
write; ´sync = true´ fsyncs every write and every commit while the cache is open, so they also survive
power loss (they survive a killed process anyway). Writes made in a handler are kept in memory, visible
to every read, and committed with the positions of the records' sources every ´commit_interval´ (see
"State commits"); writes from the top level and hooks are durable when the call returns. The
cache is a sink (´{sink = c}´, records need a key: ´return value, key´) and ´c(key, value)´ stores
´value´ and publishes it to ´c:updates()´.

´partitioned_by = t´ (a ´kafka.topic´ with a ´group´) makes a partitioned cache for scaling out (see
"Scaling out on Kafka consumer groups"): one shard per partition of ´t´ that this process holds,
restored from the changelog topic ´<group>-<name>-changelog´ when the group assigns the partition; a
handler of ´t´ reads and writes the shard of its record's partition, other code reads every held shard
and cannot write (´cache:put: cache "counts" is partitioned by "clicks": only its handlers write it, each
to its record's partition´). ´global = "TOPIC"´ makes a global cache: a local copy of the whole
compacted topic TOPIC, read up to its end before ´cache.open´ returns and followed afterwards; its
´put´, ´del´ and ´c(key, value)´ produce to the topic and wait until the copy holds the write;
´incr´, ´update´, ´sweep´, ´clear´ and ´updates´ are not available on it.
Under ´streamctl test´ the run is the group's only member: both are plain caches there, a partitioned
one holding every partition and a global one starting empty.
Raises ´cache.open: name must be a string, got nil´,
´cache.open: unknown option "tll" (known: global, memory, partitioned_by, sync, ttl)´,
´cache.open: cache name "a/b" must match [A-Za-z0-9_.-]+ (at most 200 characters, no "..")´,
´cache.open: cache "x" is already open with other options´ and, when another process holds the state
directory (exit 75), ´cache.open: state directory DIR is in use by pid 1234´.
`,
			Example: `
local counts = cache.open("emoji", {memory = true})
handle(iterate{"🏆", "📞", "🏆"}, {sink = counts}, function(e)
  return counts:get(e, 0) + 1, e -- stored under the key e
end)
on_stop(function() print(counts:get("🏆"), counts:get("📞")) end)
`,
			SeeAlso: []string{"cache:get", "cache:put", "cache:updates", "state.load"},
		},
		{
			Module:  "cache",
			Name:    "cache:get",
			Syntax:  `value = c:get(key [, default])`,
			Type:    "fun(key: streamctl.key, default?: any): any",
			Context: "top level, handler, hook; any worker",
			Text: `
Returns the value stored at ´key´, or ´default´ (nil if not given) when the key is missing or expired; it
does not wait. The value is a fresh copy: integers stay integers, arrays stay arrays (´json.array´ marks
and ´json.null´ included), strings keep every byte. Raises
´cache:get: key must be a string, number, boolean or list of them, got nil´ and
´cache:get: self must be a cache, got number (call it as c:get(...))´.
`,
			Example: `
local c = cache.open("users", {memory = true})
c:put({"ann", 1}, {name = "Ann", tags = json.array{}})
print(c:get({"ann", 1}).name, json.encode(c:get({"ann", 1}).tags), c:get("bob", "none"))
`,
			SeeAlso: []string{"cache:put", "cache:has"},
		},
		{
			Module:  "cache",
			Name:    "cache:put",
			Syntax:  `c:put(key, value [, {ttl = d}])`,
			Type:    "fun(key: streamctl.key, value: any, opts?: cache.PutOptions)",
			Context: "top level, handler, hook; any worker",
			Text: `
Stores ´value´ at ´key´ without waiting (no other handler runs meanwhile) and returns once the write
is durable against a process crash; output written before it is flushed first. ´ttl´ overrides the cache's
default time to live for this entry; an expired entry is invisible at once and swept in the background.
Unlike ´c(key, value)´ it does not publish to ´c:updates()´. Raises
´cache:put: value must not be nil (use c:del(key) to delete)´,
´cache:put: function: value cannot be a record´ and ´cache:put: NaN cannot be a key´.
`,
			Example: `
local c = cache.open("sessions", {memory = true})
c:put("s1", {user = "ann", n = 1})
c:put("s2", {user = "bob"}, {ttl = "30m"})
print(c:get("s1").user, c:count())
`,
			SeeAlso: []string{"cache:get", "cache:del", "cache:update"},
		},
		{
			Module:  "cache",
			Name:    "cache:del",
			Syntax:  `c:del(key)`,
			Type:    "fun(key: streamctl.key)",
			Context: "top level, handler, hook; any worker",
			Text: `
Deletes ´key´ without waiting and returns once the delete is durable; a missing key is not an error.
Raises ´cache:del: key must be a string, number, boolean or list of them, got nil´.
`,
			Example: `
local c = cache.open("seen", {memory = true})
c:put("a", true)
c:del("a")
c:del("never there")
print(c:has("a"))
`,
			SeeAlso: []string{"cache:put", "cache:clear"},
		},
		{
			Module:  "cache",
			Name:    "cache:has",
			Syntax:  `ok = c:has(key)`,
			Type:    "fun(key: streamctl.key): boolean",
			Context: "top level, handler, hook; any worker",
			Text: `
Returns whether ´key´ holds a value that has not expired; it does not wait. Raises
´cache:has: key must be a string, number, boolean or list of them, got function´.
`,
			Example: `
local c = cache.open("seen", {memory = true})
handle(iterate{"a", "b", "a"}, function(id)
  if c:has(id) then return id .. " again" end
  c:put(id, true)
  return id .. " first"
end)
`,
			SeeAlso: []string{"cache:get"},
		},
		{
			Module:  "cache",
			Name:    "cache:incr",
			Syntax:  `n = c:incr(key [, by])`,
			Type:    "fun(key: streamctl.key, by?: number): number",
			Context: "top level, handler, hook; any worker",
			Text: `
Adds ´by´ (default 1) to the number at ´key´ and returns the new value, without waiting; a missing or
expired key counts as 0. Atomic across workers and handlers: concurrent increments are never lost.
Raises ´cache:incr: value at "hits" is a string, not a number´ and
´cache:incr: by must be a number, got string "x"´.
`,
			Example: `
local hits = cache.open("hits", {memory = true})
handle(iterate{"/a", "/b", "/a"}, {workers = 2}, function(path) hits:incr(path) end)
on_stop(function() print(hits:get("/a"), hits:incr("/b", 10)) end)
`,
			SeeAlso: []string{"cache:update"},
		},
		{
			Module:  "cache",
			Name:    "cache:update",
			Syntax:  `new = c:update(key, fn)`,
			Type:    "fun(key: streamctl.key, fn: fun(old: any): any): any",
			Context: "top level, handler, hook; any worker",
			Text: `
Calls ´fn(old)´ with the value at ´key´ (nil when missing) and stores what it returns, as one atomic
read-modify-write across workers, and returns the new value; it does not wait and ´fn´ must not wait
either (a waiting call in ´fn´ blocks the Lua state). Returning nil deletes the key. ´fn´ may read the
cache but must not write to it. An error in ´fn´ leaves the value unchanged and is raised as
´cache:update: job.lua:3: boom´. Raises ´cache:update: fn must be a function, got number´.
`,
			Example: `
local sessions = cache.open("sessions", {memory = true})
local s = sessions:update("ann", function(old)
  old = old or {events = 0}
  old.events = old.events + 1
  return old
end)
print(s.events, sessions:update("ann", function() return nil end), sessions:has("ann"))
`,
			SeeAlso: []string{"cache:incr", "cache:put"},
		},
		{
			Module:  "cache",
			Name:    "cache:range",
			Syntax:  `for k, v in c:range{[from = k] [, to = k] [, prefix = p] [, reverse = false] [, limit = n]} do ... end`,
			Type:    "fun(opts?: cache.RangeOptions): fun(): streamctl.key, any",
			Context: "top level, handler, hook; any worker",
			Text: `
Returns an iterator over the live entries in key order (descending with ´reverse = true´), without
waiting; entries are read in pages of 256, so a range over a large cache stays small. ´from´ is
inclusive, ´to´ exclusive; ´prefix´ is a tuple prefix (´{"ann"}´ selects ´{"ann", ...}´ and
´{"ann"}´ itself) or a string prefix (´"a"´ selects ´"a"´ and ´"ab"´); ´limit´ stops after n entries. Keys sort by type (booleans, numbers,
strings, tuples), then by value: numbers numerically, tuples element by element, so ´{user, time}´
keys range over one user's events in time order. Raises
´cache:range: unknown option "form" (known: from, limit, prefix, reverse, to)´ and
´cache:range: limit must be an integer >= 0, got -1´.
`,
			Example: `
local events = cache.open("events", {memory = true})
for i, user in ipairs{"ann", "bob", "ann", "ann"} do events:put({user, i}, "event " .. i) end
for k, v in events:range{prefix = {"ann"}, reverse = true, limit = 2} do
  print(k[1], k[2], v)
end
`,
			SeeAlso: []string{"cache:floor", "cache:ceil"},
		},
		{
			Module:  "cache",
			Name:    "cache:floor",
			Syntax:  `k, v = c:floor(key)`,
			Type:    "fun(key: streamctl.key): streamctl.key?, any",
			Context: "top level, handler, hook; any worker",
			Text: `
Returns the live entry with the greatest key less than or equal to ´key´, or nil, nil; it does not wait.
Made for temporal joins: with readings stored under their time, ´c:floor(t)´ is the latest reading at or
before ´t´. Keys sort by type first, so with tuple keys ´{id, time}´ check that the key found has the
same id. Raises ´cache:floor: key must be a string, number, boolean or list of them, got nil´.
`,
			Example: `
local weather = cache.open("weather", {memory = true})
weather:put(time.parse("2024-05-01 10:00:00"), "sunny")
weather:put(time.parse("2024-05-01 11:00:00"), "cloudy")
local t, w = weather:floor(time.parse("2024-05-01 10:30:00"))
print(time.format(t), w, weather:floor(0))
`,
			SeeAlso: []string{"cache:ceil", "cache:range"},
		},
		{
			Module:  "cache",
			Name:    "cache:ceil",
			Syntax:  `k, v = c:ceil(key)`,
			Type:    "fun(key: streamctl.key): streamctl.key?, any",
			Context: "top level, handler, hook; any worker",
			Text: `
Returns the live entry with the least key greater than or equal to ´key´, or nil, nil; it does not wait.
Raises ´cache:ceil: key must be a string, number, boolean or list of them, got nil´.
`,
			Example: `
local c = cache.open("slots", {memory = true})
c:put(10, "ten")
c:put(20, "twenty")
print(c:ceil(11))
print(c:ceil(21))
`,
			SeeAlso: []string{"cache:floor"},
		},
		{
			Module:  "cache",
			Name:    "cache:sweep",
			Syntax:  `c:sweep(fn)`,
			Type:    "fun(fn: fun(key: streamctl.key, value: any): boolean)",
			Context: "top level, handler, hook; any worker",
			Text: `
Calls ´fn(k, v)´ for every live entry in key order and deletes those for which it returns false or nil;
it does not wait and ´fn´ must not wait. Expired entries are deleted without calling ´fn´, and an entry
written again while the sweep runs is kept. An error in ´fn´ stops the sweep and is raised as
´cache:sweep: job.lua:2: boom´. Raises ´cache:sweep: fn must be a function, got nil´.
`,
			Example: `
local sessions = cache.open("sessions", {memory = true})
sessions:put("old", {last = time.now() - 3600})
sessions:put("new", {last = time.now()})
sessions:sweep(function(k, s) return s.last > time.now() - 600 end)
print(sessions:has("old"), sessions:has("new"))
`,
			SeeAlso: []string{"cache:clear", "cache:range"},
		},
		{
			Module:  "cache",
			Name:    "cache:clear",
			Syntax:  `c:clear()`,
			Type:    "fun()",
			Context: "top level, handler, hook; any worker",
			Text: `
Deletes every entry and returns once that is durable; it does not wait. Writes of other workers wait
until it is done. Never raises for a usable cache.
`,
			Example: `
local c = cache.open("tmp", {memory = true})
c:put("a", 1)
c:put("b", 2)
c:clear()
print(c:count())
`,
			SeeAlso: []string{"cache:sweep", "cache:del"},
		},
		{
			Module:  "cache",
			Name:    "cache:count",
			Syntax:  `n = c:count()`,
			Type:    "fun(): integer",
			Context: "top level, handler, hook; any worker",
			Text: `
Returns the number of live entries; it does not wait, but it reads the whole cache, so keep it out of
per-record code on large caches. Never raises for a usable cache.
`,
			Example: `
local c = cache.open("tmp", {memory = true})
for i = 1, 3 do c:put(i, i * i) end
print(c:count())
`,
			SeeAlso: []string{"cache:range"},
		},
		{
			Module:  "cache",
			Name:    "cache:updates",
			Syntax:  `src = c:updates()`,
			Type:    "fun(): streamctl.endpoint",
			Context: "top level",
			Text: `
Returns, without waiting, a source of the entries published by ´c(key, value)´ and by the cache used as
a sink: each record's value is the stored value and ´meta.key´ its key. Publishing never blocks the
writer. The source ends once every other handler of the run has finished (nothing is left to write
then), so a script that reacts to its own writes still ends. ´c:put´ does not publish.
`,
			Example: `
local prices = cache.open("prices", {memory = true})
handle(iterate{{"apple", 3}, {"pear", 5}}, function(p) prices(p[1], p[2]) end)
handle(prices:updates(), function(v, meta) return meta.key .. " is now " .. v end)
`,
			SeeAlso: []string{"cache.open", "cache:put"},
		},
	},
}
