package bindings_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/lua"
)

// runCache runs src as job.lua with the real bindings and dir as the state
// directory ("" for a fresh one), with an empty stdin.
func runCache(t *testing.T, dir, src string) (stdout, stderr string, err error) {
	t.Helper()
	return runJob(t, dir, src, nil)
}

// runJob runs src as job.lua with the real bindings, dir as the state
// directory ("" for a fresh one), set as --set arguments and an empty stdin.
func runJob(t *testing.T, dir, src string, set [][2]string) (stdout, stderr string, err error) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	rt := lua.New(lua.Options{
		Script:  "job.lua",
		Source:  []byte(src),
		Modules: bindings.Modules(bindings.Deps{StateDir: dir, Set: set}),
		Stdin:   strings.NewReader(""),
		Stdout:  &out,
		Stderr:  &errb,
		Getenv:  func(string) (string, bool) { return "", false },
	})
	err = rt.Run(ctx)
	if ctx.Err() != nil {
		err = errors.Join(err, errors.New("did not end within 60s"))
	}
	return out.String(), errb.String(), err
}

// cacheCase is a Lua chunk and its exact stdout.
type cacheCase struct{ name, src, want string }

func runCacheCases(t *testing.T, cases []cacheCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, stderr, err := runCache(t, "", tt.src)
			if err != nil {
				t.Fatalf("%v\nstderr:\n%s", err, stderr)
			}
			if got != tt.want {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// show is a Lua helper printing keys and values unambiguously.
const show = `
local function show(v)
  if type(v) == "table" then
    if v == json.null then return "null" end
    return json.encode(v)
  elseif type(v) == "string" then
    return string.format("%q", v)
  end
  return tostring(v)
end
`

func TestCacheMethods(t *testing.T) {
	runCacheCases(t, []cacheCase{
		{"get put has del", `
local c = cache.open("c", {memory = true})
print(c:get("a"), c:get("a", "dflt"), c:has("a"))
c:put("a", 1)
print(c:get("a"), c:get("a", "dflt"), c:has("a"))
c:put("a", "one")
print(c:get("a"))
c:del("a")
c:del("never there")
print(c:get("a"), c:has("a"), c:count())
print(tostring(c))
`, "nil\tdflt\tfalse\n1\t1\ttrue\none\nnil\tfalse\t0\ncache: c\n"},
		{"get returns a copy", `
local c = cache.open("c", {memory = true})
local t = {n = 1}
c:put("t", t)
t.n = 2
local got = c:get("t")
got.n = 3
print(c:get("t").n)
`, "1\n"},
		{"incr", `
local c = cache.open("c", {memory = true})
print(c:incr("n"), c:incr("n"), c:incr("n", 10), c:incr("n", -2.5), c:incr("m", 0))
print(c:get("n"), c:get("m"))
`, "1\t2\t12\t9.5\t0\n9.5\t0\n"},
		{"update", `
local c = cache.open("c", {memory = true})
print(c:update("u", function(old) print("old", old) return {1} end)[1])
print(c:update("u", function(old) table.insert(old, 2) return old end)[2])
print(json.encode(c:get("u")))
print(c:update("u", function(old) return nil end), c:has("u"), c:count())
print(c:update("missing", function(old) return nil end), c:has("missing"))
c:put("keep", 1)
print(pcall(c.update, c, "keep", function(old) error("boom") end))
print(c:get("keep"))
`, "old\tnil\n1\n2\n[1,2]\nnil\tfalse\t0\nnil\tfalse\n" +
			"false\tjob.lua:9: boom\n1\n"},
		{"count clear", `
local c = cache.open("c", {memory = true})
for i = 1, 300 do c:put(i, i) end
print(c:count())
c:clear()
print(c:count(), c:has(1))
c:put(1, 1)
print(c:count())
`, "300\n0\tfalse\n1\n"},
		{"sweep", `
local c = cache.open("c", {memory = true})
for i = 1, 10 do c:put(i, i * i) end
local seen = {}
c:sweep(function(k, v)
  table.insert(seen, k .. "=" .. v)
  return k % 3 == 0 -- keep multiples of 3
end)
print(table.concat(seen, " "))
local left = {}
for k in c:range{} do table.insert(left, k) end
print(table.concat(left, " "), c:count())
print(pcall(c.sweep, c, function() error("bad") end))
print(c:count())
`, "1=1 2=4 3=9 4=16 5=25 6=36 7=49 8=64 9=81 10=100\n3 6 9\t3\nfalse\tjob.lua:13: bad\n3\n"},
		{"floor ceil", show + `
local c = cache.open("c", {memory = true})
for _, k in ipairs{10, 20, 30} do c:put(k, "v" .. k) end
for _, k in ipairs{5, 10, 15, 30, 35} do
  local fk, fv = c:floor(k)
  local ck, cv = c:ceil(k)
  print(k, show(fk), show(fv), show(ck), show(cv))
end
`, "5\tnil\tnil\t10\t\"v10\"\n10\t10\t\"v10\"\t10\t\"v10\"\n15\t10\t\"v10\"\t20\t\"v20\"\n" +
			"30\t30\t\"v30\"\t30\t\"v30\"\n35\t30\t\"v30\"\tnil\tnil\n"},
		{"floor ceil on tuples", show + `
local c = cache.open("c", {memory = true})
c:put({"a", 1}, "a1"); c:put({"a", 5}, "a5"); c:put({"b", 2}, "b2"); c:put("str", "s")
print(show(c:floor({"a", 4})), show(c:floor({"a", 100})), show(c:floor({"b", 1})))
print(show(c:ceil({"a", 2})), show(c:ceil({"a", 6})), show(c:ceil({"b", 3})))
print(show(c:floor({"a"})), show(c:ceil(1e300)))
`, `["a",1]	["a",5]	["a",5]` + "\n" + `["a",5]	["b",2]	nil` + "\n" + `"str"	"str"` + "\n"},
		{"call and sink", `
local counts = cache.open("emoji", {memory = true})
handle(iterate{"🏆", "📞", "🏆", "🏆"}, {sink = counts}, function(e)
  return counts:get(e, 0) + 1, e
end)
local c = cache.open("c", {memory = true})
c("k", {v = 1})
on_stop(function()
  print(counts:get("🏆"), counts:get("📞"), c:get("k").v)
end)
`, "3\t1\t1\n"},
	})
}

func TestCacheKeys(t *testing.T) {
	keys := show + `
local c = cache.open("c", {memory = true})
local keys = {"b", "a", "", "a\0b", "ab", 10, 2, -1, -1.5, 0, 1e300, -1e300, 2^53, 0.5, true, false,
  {"u", 2}, {"u", 10}, {"u"}, {"t", 1, "x"}, json.array({}), {1, 2}, {true}, {"u", 1.5}}
for i, k in ipairs(keys) do c:put(k, i) end
local function list(o)
  local out = {}
  for k, v in c:range(o) do table.insert(out, show(k)) end
  return table.concat(out, " ")
end
`
	runCacheCases(t, []cacheCase{
		{"order", keys + `print(list{})`,
			`false true -1e+300 -1.5 -1 0 0.5 2 10 9007199254740992 1e+300 "" "a" "a\x00b" "ab" "b" ` +
				`[] [true] [1,2] ["t",1,"x"] ["u"] ["u",1.5] ["u",2] ["u",10]` + "\n"},
		{"reverse", keys + `print(list{reverse = true, limit = 5})`,
			`["u",10] ["u",2] ["u",1.5] ["u"] ["t",1,"x"]` + "\n"},
		{"from to", keys + `print(list{from = 0, to = 10})
print(list{from = 0, to = 10, reverse = true})
print(list{from = "a", to = "b"})
print(list{from = {"u", 2}})
print(list{to = -1})
print(list{from = 10, to = 0})`,
			"0 0.5 2\n2 0.5 0\n\"a\" \"a\\x00b\" \"ab\"\n[\"u\",2] [\"u\",10]\nfalse true -1e+300 -1.5\n\n"},
		{"prefix", keys + `print(list{prefix = {"u"}})
print(list{prefix = {"u"}, reverse = true, limit = 2})
print(list{prefix = {"u"}, from = {"u", 2}})
print(list{prefix = {"u"}, to = {"u", 2}})
print(list{prefix = {"t", 1}})
print(list{prefix = "a"})`,
			`["u"] ["u",1.5] ["u",2] ["u",10]` + "\n" + `["u",10] ["u",2]` + "\n" +
				`["u",2] ["u",10]` + "\n" + `["u"] ["u",1.5]` + "\n" + `["t",1,"x"]` + "\n" + `"a" "a\x00b" "ab"` + "\n"},
		{"limit", keys + `print(list{limit = 3})
print(list{limit = 0} == list{})`,
			"false true -1e+300\ntrue\n"},
		{"has and del of every type", keys + `
local n = 0
for i, k in ipairs(keys) do
  assert(c:get(k) == i, show(k))
  assert(c:has(k), show(k))
  c:del(k)
  n = n + (c:has(k) and 1 or 0)
end
print(n, c:count())`, "0\t0\n"},
		{"integral floats are integers", `
local c = cache.open("c", {memory = true})
c:put(1, "int")
c:put(1.0, "float")
c:put({"a", 2.0}, "tuple")
print(c:count(), c:get(1), c:get({"a", 2}))
`, "2\tfloat\ttuple\n"},
	})
}

func TestCacheRangePages(t *testing.T) {
	// Ranges are read in pages of 256: cross page boundaries both ways, with
	// limits and bounds, and write during the iteration.
	runCacheCases(t, []cacheCase{
		{"pages", `
local c = cache.open("c", {memory = true})
for i = 1, 1000 do c:put({"a", i}, i) end
for i = 1, 10 do c:put({"b", i}, i) end
local function sum(o)
  local n, s, first, last = 0, 0
  for k, v in c:range(o) do
    n, s = n + 1, s + v
    first = first or v
    last = v
  end
  return n, s, first, last
end
print(sum{prefix = {"a"}})
print(sum{prefix = {"a"}, reverse = true})
print(sum{prefix = {"a"}, limit = 600})
print(sum{prefix = {"a"}, limit = 600, reverse = true})
print(sum{from = {"a", 100}, to = {"a", 900}})
print(sum{from = {"a", 100}, to = {"a", 900}, reverse = true})
print(sum{from = {"a", 990}})
local n = 0
for k, v in c:range{prefix = {"a"}} do
  c:put({"a", k[2]}, v * 2) -- rewrite while iterating
  n = n + 1
end
print(n, c:get({"a", 1000}))
`, "1000\t500500\t1\t1000\n1000\t500500\t1000\t1\n600\t180300\t1\t600\n600\t420300\t1000\t401\n" +
			"800\t399600\t100\t899\n800\t399600\t899\t100\n21\t11000\t990\t10\n1000\t2000\n"},
	})
}

func TestCacheValuesRoundTrip(t *testing.T) {
	// Values written by one run are read by the next from disk, and compared
	// field by field.
	dir := t.TempDir()
	_, stderr, err := runCache(t, dir, `
local c = cache.open("v")
c:put("int", 42)
c:put("negint", -7)
c:put("float", 0.1)
c:put("negzero", -0.0)
c:put("nan", 0/0)
c:put("inf", 1/0)
c:put("neginf", -1/0)
c:put("big", 2^53)
c:put("bigger", 2^53 + 2)
c:put("true", true)
c:put("false", false)
c:put("bin", "a\0b\255\n")
c:put("empty", "")
c:put("utf8", "🏆")
c:put("array", {1, "two", 3.5, true})
c:put("map", {b = 1, a = 2})
c:put("nested", {x = {y = {1, {z = "deep"}}}})
c:put("emptytable", {})
c:put("emptyarray", json.array({}))
c:put("nulls", {a = json.null, list = {1, json.null, 3}})
c:put("long", json.decode('{"n":12345678901234567890123,"m":-9223372036854775809}'))
`)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	got, stderr, err := runCache(t, dir, `
local c = cache.open("v")
local function num(n) return string.format("%.17g", n) end
print("int", c:get("int"), num(c:get("int")), c:get("negint"))
print("float", num(c:get("float")))
print("negzero", 1 / c:get("negzero"))
local nan = c:get("nan")
print("nan", type(nan), nan ~= nan)
print("inf", c:get("inf"), c:get("neginf"))
print("big", num(c:get("big")), num(c:get("bigger")))
print("bool", c:get("true"), c:get("false"))
local bin = c:get("bin")
print("bin", #bin, bin == "a\0b\255\n", bin:byte(2), bin:byte(4))
print("strings", c:get("empty") == "", c:get("utf8"))
print("array", json.encode(c:get("array")))
print("map", json.encode(c:get("map")))
print("nested", c:get("nested").x.y[2].z, json.encode(c:get("nested")))
print("empty", json.encode(c:get("emptytable")), json.encode(c:get("emptyarray")))
local nulls = c:get("nulls")
print("nulls", nulls.a == json.null, nulls.list[2] == json.null, #nulls.list, json.encode(nulls))
print("long", json.encode(c:get("long")))
print("count", c:count())
`)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	want := `int	42	42	-7
float	0.10000000000000001
negzero	-Inf
nan	number	true
inf	+Inf	-Inf
big	9007199254740992	9007199254740994
bool	true	false
bin	5	true	0	255
strings	true	🏆
array	[1,"two",3.5,true]
map	{"b":1,"a":2}
nested	deep	{"x":{"y":[1,{"z":"deep"}]}}
empty	{}	[]
nulls	true	true	3	{"a":null,"list":[1,null,3]}
long	{"n":12345678901234567890123,"m":-9223372036854775809}
count	21
`
	if got != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
	}
}

func TestCachePersistence(t *testing.T) {
	dir := t.TempDir()
	write := `
local c = cache.open("p")
local m = cache.open("m", {memory = true})
print(c:incr("runs"), m:incr("runs"))
`
	for _, want := range []string{"1\t1\n", "2\t1\n", "3\t1\n"} {
		got, stderr, err := runCache(t, dir, write)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestCacheTTL(t *testing.T) {
	// Expiry is polled with a deadline, never waited for with a fixed sleep.
	runCacheCases(t, []cacheCase{
		{"put ttl", `
local c = cache.open("c", {memory = true})
c:put("short", 1, {ttl = "50ms"})
c:put("long", 2, {ttl = "1h"})
c:put("forever", 3)
print(c:has("long"), c:get("forever"))
local deadline = time.now() + 10
while c:has("short") do
  assert(time.now() < deadline, "short did not expire within 10s")
  sleep(0.005)
end
print(c:get("short"), c:get("short", "gone"), c:has("short"), c:count())
local out = {}
for k in c:range{} do table.insert(out, k) end
print(table.concat(out, " "), (c:floor("zzz")), (c:ceil("a")))
print(c:incr("short"))
`, "true\t3\nnil\tgone\tfalse\t2\nforever long\tlong\tforever\n1\n"},
		{"default ttl", `
local c = cache.open("c", {memory = true, ttl = 0.05})
c:put("a", 1)
c:put("b", 2, {ttl = "1h"})
c:incr("n")
local deadline = time.now() + 10
while c:has("a") or c:has("n") do
  assert(time.now() < deadline, "a did not expire within 10s")
  sleep(0.005)
end
print(c:has("a"), c:get("b"), c:count())
`, "false\t2\t1\n"},
		{"update restarts ttl", `
local c = cache.open("c", {memory = true, ttl = "1h"})
c:put("a", 1, {ttl = "50ms"})
print(c:update("a", function(old) return old + 1 end))
local deadline = time.now() + 0.3
while time.now() < deadline do sleep(0.01) end -- well past the 50ms
print(c:get("a"))
`, "2\n2\n"},
	})
}

func TestCacheStateLoadSave(t *testing.T) {
	dir := t.TempDir()
	src := `
local st = state.load("collector", {offset = 0, seen = json.array({})})
print(st.offset, json.encode(st.seen))
st.offset = st.offset + 10
table.insert(st.seen, "run" .. st.offset)
state.save("collector", st)
print(json.encode(state.load("other")), state.load("other", 5))
`
	for _, want := range []string{
		"0\t[]\n{}\t5\n",
		"10\t[\"run10\"]\n{}\t5\n",
		"20\t[\"run10\",\"run20\"]\n{}\t5\n",
	} {
		got, stderr, err := runCache(t, dir, src)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestCacheErrors(t *testing.T) {
	const open = `local c = cache.open("c", {memory = true}); `
	for _, tt := range []struct{ name, src, want string }{
		{"open without name", `cache.open()`, `job.lua:1: cache.open: name must be a string, got nil`},
		{"open number name", `cache.open(1)`, `job.lua:1: cache.open: name must be a string, got number`},
		{"open bad name", `cache.open("a/b")`, `job.lua:1: cache.open: cache name "a/b" must match [A-Za-z0-9_.-]+ (at most 200 characters, no "..")`},
		{"open unknown option", `cache.open("c", {tll = 1})`, `job.lua:1: cache.open: unknown option "tll" (known: global, memory, partitioned_by, sync, ttl)`},
		{"open bad memory", `cache.open("c", {memory = "yes"})`, `job.lua:1: cache.open: memory must be a boolean, got string "yes"`},
		{"open bad ttl", `cache.open("c", {ttl = "abc"})`, `job.lua:1: cache.open: ttl must be a duration like "500ms" or a number of seconds, got "abc"`},
		{"open twice other options", `cache.open("c", {memory = true}); cache.open("c")`, `job.lua:1: cache.open: cache "c" is already open with other options`},
		{"self", open + `c.get(1)`, `job.lua:1: cache:get: self must be a cache, got number (call it as c:get(...))`},
		{"self nil", open + `c.put()`, `job.lua:1: cache:put: self must be a cache, got nil (call it as c:put(...))`},
		{"nil key", open + `c:get(nil)`, `job.lua:1: cache:get: key must be a string, number, boolean or list of them, got nil`},
		{"function key", open + `c:has(print)`, `job.lua:1: cache:has: key must be a string, number, boolean or list of them, got function`},
		{"nan key", open + `c:put(0/0, 1)`, `job.lua:1: cache:put: NaN cannot be a key`},
		{"map key", open + `c:put({a = 1}, 1)`, `job.lua:1: cache:put: a key must be a string, number, boolean or list of those, got table`},
		{"nil value", open + `c:put("k", nil)`, `job.lua:1: cache:put: value must not be nil (use c:del(key) to delete)`},
		{"function value", open + `c:put("k", print)`, `job.lua:1: cache:put: function: value cannot be a record`},
		{"function in table", open + `c:put("k", {f = print})`, `job.lua:1: cache:put: function: value cannot be a record`},
		{"cycle", open + `local t = {}; t.t = t; c:put("k", t)`, `job.lua:1: cache:put: table nested more than 200 levels (a cycle?): value cannot be a record`},
		{"put unknown option", open + `c:put("k", 1, {tll = 1})`, `job.lua:1: cache:put: unknown option "tll" (known: ttl)`},
		{"put bad ttl", open + `c:put("k", 1, {ttl = "x"})`, `job.lua:1: cache:put: ttl must be a duration like "500ms" or a number of seconds, got "x"`},
		{"incr string", open + `c:put("s", "str"); c:incr("s")`, `job.lua:1: cache:incr: value at "s" is a string, not a number`},
		{"incr bad by", open + `c:incr("n", "x")`, `job.lua:1: cache:incr: by must be a number, got string "x"`},
		{"update not function", open + `c:update("k", 5)`, `job.lua:1: cache:update: fn must be a function, got number`},
		{"update returns function", open + `c:update("k", function() return print end)`, `job.lua:1: cache:update: function: value cannot be a record`},
		{"sweep without fn", open + `c:sweep()`, `job.lua:1: cache:sweep: fn must be a function, got nil`},
		{"range unknown option", open + `c:range{form = 1}`, `job.lua:1: cache:range: unknown option "form" (known: from, limit, prefix, reverse, to)`},
		{"range bad limit", open + `c:range{limit = -1}`, `job.lua:1: cache:range: limit must be an integer >= 0, got -1`},
		{"call nil value", open + `c("k", nil)`, `job.lua:1: cache(): value must not be nil (use c:del(key) to delete)`},
		{"state.load without name", `state.load()`, `job.lua:1: state.load: name must be a string, got nil`},
		{"state.save without table", `state.save("s")`, `job.lua:1: state.save: tbl must be a table, got nil`},
		{"state.save function", `state.save("s", {f = print})`, `job.lua:1: state.save: function: value cannot be a record`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err := runCache(t, "", tt.src)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error:\n%v\nwant:\n%s\nstdout: %q stderr: %q", err, tt.want, stdout, stderr)
			}
		})
	}
}

func TestCacheSinkNeedsKey(t *testing.T) {
	_, _, err := runCache(t, "", `
local c = cache.open("c", {memory = true})
handle(iterate{"a"}, {sink = c}, function(v) return v end)
`)
	want := "job.lua:3: handler handler1: sink needs a key: return value, key (or emit(value, key)) (record iterate:1)"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

// count40k is a source of the numbers 1 to 40000.
const count40k = `
local i = 0
local numbers = iterate(function()
  i = i + 1
  if i <= 40000 then return i end
end)
`

func TestCacheConcurrentIncr(t *testing.T) {
	// Four worker states increment one key 40000 times in parallel; with
	// -race this also checks the binding shares no Lua state across
	// goroutines.
	got, stderr, err := runCache(t, "", count40k+`
local c = cache.open("c")
handle(numbers, {workers = 4}, function(n)
  c:incr("hits")
  c:incr("sum", n)
end)
on_stop(function() print(c:get("hits"), string.format("%d", c:get("sum"))) end)
`)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if want := "40000\t800020000\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCacheConcurrentUpdate(t *testing.T) {
	// update is atomic across workers: no read-modify-write is lost, and a
	// keyed handler sees its keys in order.
	got, stderr, err := runCache(t, "", count40k+`
local c = cache.open("c", {memory = true})
handle(numbers, {workers = 4, key = function(n) return n % 8 end}, function(n)
  c:update("total", function(old) return (old or 0) + 1 end)
  c:update({"last", n % 8}, function(old)
    if old and old >= n then error("out of order: " .. old .. " before " .. n) end
    return n
  end)
end)
on_stop(function()
  local lasts = {}
  for k, v in c:range{prefix = {"last"}} do table.insert(lasts, v) end
  print(c:get("total"), table.concat(lasts, " "))
end)
`)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if want := "40000\t40000 39993 39994 39995 39996 39997 39998 39999\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestCacheUpdatesSource checks c:updates() delivers every c(k, v) of the
// run, also those published before its goroutine started (it subscribes
// when c:updates() is called).
func TestCacheUpdatesSource(t *testing.T) {
	for i := 0; i < 20; i++ {
		got, stderr, err := runCache(t, "", `
local prices = cache.open("prices", {memory = true})
handle(iterate{{"apple", 3}, {"pear", 5}}, function(p) prices(p[1], p[2]) end)
handle(prices:updates(), function(v, meta) return meta.key .. " is now " .. v end)
`)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		if want := "apple is now 3\npear is now 5\n"; got != want {
			t.Fatalf("run %d: got %q, want %q", i, got, want)
		}
	}
}

// TestCacheNumberKeyedTables checks that tables whose keys are not exactly
// 1..n keep their number keys through the cache (value.Table), as api.md 5
// asks: values round-trip exactly.
func TestCacheNumberKeyedTables(t *testing.T) {
	got, stderr, err := runCache(t, "", `
local c = cache.open("c", {memory = true})
c:put("mixed", {1, 2, x = 3})
c:put("holes", {[1] = "a", [3] = "c"})
c:put("numkeys", {[10] = "ten", [2.5] = "x", [-1] = "neg"})
local m, h, n = c:get("mixed"), c:get("holes"), c:get("numkeys")
print(m[1], m[2], m.x, m["1"])
print(h[1], h[2], h[3], h["1"])
print(n[10], n[2.5], n[-1], n["10"])
`)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if want := "1\t2\t3\tnil\na\tnil\tc\tnil\nten\tx\tneg\tnil\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestCacheUpdateFnWrites checks that a write to the same cache inside
// c:update's fn raises (the update holds the cache's write lock) instead of
// deadlocking.
func TestCacheUpdateFnWrites(t *testing.T) {
	done := make(chan error, 1)
	go func() {
		_, _, err := runCache(t, "", `
local c = cache.open("c", {memory = true})
c:update("a", function(old) c:put("b", 1) return 1 end)
`)
		done <- err
	}()
	select {
	case err := <-done:
		want := `job.lua:3: cache:put: cannot write to cache "c" inside its own update function (return the new value instead)`
		if err == nil || err.Error() != want {
			t.Fatalf("err = %v, want %q", err, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("c:update whose fn calls c:put on the same cache did not end (deadlock)")
	}
}
