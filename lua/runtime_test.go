package lua_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/exitcode"
	"github.com/streamctl/streamctl/lua"
)

type result struct {
	stdout, stderr string
	err            error
}

// runScript runs src as a script with the real bindings and returns its output.
func runScript(t *testing.T, ctx context.Context, src, stdin string) result {
	t.Helper()
	if ctx == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
	}
	var out, errb bytes.Buffer
	rt := lua.New(lua.Options{
		Script:  "job.lua",
		Source:  []byte(src),
		Modules: bindings.Modules(bindings.Deps{}),
		Stdin:   strings.NewReader(stdin),
		Stdout:  &out,
		Stderr:  &errb,
		Getenv:  func(string) (string, bool) { return "", false },
	})
	err := rt.Run(ctx)
	return result{out.String(), errb.String(), err}
}

func TestHandlersShareGlobalsAndInterleave(t *testing.T) {
	// The slow handler sleeps; the timer handler runs meanwhile and sees the
	// global the slow handler set before sleeping.
	r := runScript(t, nil, `
phase = "start"
handle(iterate({1}), function()
  phase = "sleeping"
  sleep(0.2)
  phase = "done"
  return "slow done"
end)
handle(timer{every = 0.01, count = 1}, function()
  return "timer saw " .. phase
end)
`, "")
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := "timer saw sleeping\nslow done\n"
	if r.stdout != want {
		t.Fatalf("stdout = %q, want %q", r.stdout, want)
	}
}

func TestWaitingCallErrorNamesScriptLine(t *testing.T) {
	r := runScript(t, nil, "handle(iterate({1}), function()\n  sleep(-1)\nend)\n", "")
	want := "job.lua:2: sleep: duration must not be negative, got -1 (record iterate:1)"
	if r.err == nil || r.err.Error() != want || exitcode.Of(r.err) != 1 {
		t.Fatalf("err = %v (code %d), want %q (code 1)", r.err, exitcode.Of(r.err), want)
	}
}

func TestPcallAroundWaitingCall(t *testing.T) {
	r := runScript(t, nil, `
handle(iterate({1, 2}), function(v)
  local ok = pcall(sleep, 0.001)
  return tostring(v) .. " " .. tostring(ok)
end)`, "")
	if r.err != nil || r.stdout != "1 true\n2 true\n" {
		t.Fatalf("stdout %q err %v", r.stdout, r.err)
	}
}

func TestBroadcastWithBackPressure(t *testing.T) {
	// Two handlers on one source each see every record; the slow one holds
	// the source back through the bounded buffer, nothing is lost.
	var in strings.Builder
	for i := 1; i <= 5000; i++ {
		fmt.Fprintf(&in, "%d\n", i)
	}
	r := runScript(t, nil, `
local src = stdin()
local a, b = 0, 0
handle(src, function(v) a = a + tonumber(v) end)
handle(src, function(v) if tonumber(v) % 1000 == 0 then sleep(0.001) end b = b + tonumber(v) end)
on_stop(function() print(a, b) end)
`, in.String())
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.stdout != "12502500\t12502500\n" {
		t.Fatalf("stdout = %q", r.stdout)
	}
}

func TestWorkersKeepPerKeyOrderExactlyOnce(t *testing.T) {
	const n, keys = 20000, 37
	var in strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&in, "k%d %d\n", i%keys, i)
	}
	r := runScript(t, nil, `
handle(stdin(), {workers = 4, key = function(line) return line:match("^(%S+)") end},
  function(line)
    local s = 0
    for i = 1, 50 do s = s + i end -- some CPU work
    return line
  end)
`, in.String())
	if r.err != nil {
		t.Fatal(r.err)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("got %d lines, want %d", len(lines), n)
	}
	seen := make(map[int]bool, n)
	last := map[string]int{}
	for _, l := range lines {
		k, num, ok := strings.Cut(l, " ")
		if !ok {
			t.Fatalf("bad line %q", l)
		}
		i, err := strconv.Atoi(num)
		if err != nil {
			t.Fatal(err)
		}
		if seen[i] {
			t.Fatalf("record %d processed twice", i)
		}
		seen[i] = true
		if prev, ok := last[k]; ok && prev >= i {
			t.Fatalf("key %s out of order: %d after %d", k, i, prev)
		}
		last[k] = i
	}
	if len(seen) != n {
		t.Fatalf("%d distinct records, want %d", len(seen), n)
	}
}

func TestWorkerStatesShareOneSink(t *testing.T) {
	// The file sink opened at the top level is one Go object for all
	// worker states: every record lands in it exactly once.
	dir := t.TempDir()
	r := runScript(t, nil, fmt.Sprintf(`
local out = file{path = %q, append = false}
handle(iterate(function() n = (n or 0) + 1; if n <= 1000 then return n end end),
  {workers = 3, sink = out}, function(v) return v * 2 end)
`, dir+"/out.txt"), "")
	if r.err != nil {
		t.Fatal(r.err)
	}
	r2 := runScript(t, nil, fmt.Sprintf(`
local sum, count = 0, 0
handle(file{path = %q}, function(v) sum = sum + tonumber(v); count = count + 1 end)
on_stop(function() print(count, sum) end)`, dir+"/out.txt"), "")
	if r2.err != nil || r2.stdout != "1000\t1001000\n" {
		t.Fatalf("stdout %q err %v", r2.stdout, r2.err)
	}
}

func TestStopEndsInfiniteSourceGracefully(t *testing.T) {
	r := runScript(t, nil, `
local n = 0
handle(timer{every = 0.001}, function()
  n = n + 1
  if n == 3 then stop() end
end)
on_stop(function() print("stopped after", n >= 3) end)
`, "")
	if r.err != nil || r.stdout != "stopped after\ttrue\n" {
		t.Fatalf("stdout %q err %v", r.stdout, r.err)
	}
}

func TestSignalDrainsRunsOnStopAndExits130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Cancel as soon as the script is running (a signal).
		time.AfterFunc(50*time.Millisecond, cancel)
	}()
	r := runScript(t, ctx, `
handle(timer{every = 0.005}, function() end)
on_stop(function() print("on_stop ran") end)
`, "")
	if !errors.Is(r.err, exitcode.ErrInterrupted) || exitcode.Of(r.err) != 130 {
		t.Fatalf("err = %v, want interrupted (130)", r.err)
	}
	if r.stdout != "on_stop ran\n" {
		t.Fatalf("stdout = %q", r.stdout)
	}
}

func TestTopLevelMayWait(t *testing.T) {
	r := runScript(t, nil, `
print("before")
sleep(0.01)
print("after")`, "")
	if r.err != nil || r.stdout != "before\nafter\n" {
		t.Fatalf("stdout %q err %v", r.stdout, r.err)
	}
}

func TestHandleOutsideTopLevelFails(t *testing.T) {
	r := runScript(t, nil, `
on_start(function() handle(stdin(), function() end) end)`, "")
	want := "job.lua:2: handle: only allowed at the top level of the script"
	if r.err == nil || r.err.Error() != want {
		t.Fatalf("err = %v, want %q", r.err, want)
	}
}

func TestSignalEndsTopLevelSleepLoop(t *testing.T) {
	// A collector polling in a top-level loop ends on the first signal:
	// its sleep unwinds the coroutine instead of returning (no spinning).
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	r := runScript(t, ctx, `
polls = 0
on_stop(function() print("polls > 0:", polls > 0) end)
while true do
  polls = polls + 1
  sleep(60)
end`, "")
	if !errors.Is(r.err, exitcode.ErrInterrupted) {
		t.Fatalf("err = %v, want interrupted", r.err)
	}
	if r.stdout != "polls > 0:\ttrue\n" {
		t.Fatalf("stdout = %q", r.stdout)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}
}

// TestStackLimits: coroutines start with a small data stack that grows, so
// a deep but finite recursion and a large unpack still work, in a handler's
// coroutine too; runaway recursion is an error naming the script line.
func TestStackLimits(t *testing.T) {
	r := runScript(t, nil, `
local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
local big = {}
for i = 1, 100000 do big[i] = i end
handle(iterate{1}, function()
  print(depth(200), select("#", unpack(big)))
end)
`, "")
	if r.err != nil || r.stdout != "200\t100000\n" {
		t.Fatalf("stdout %q, err %v", r.stdout, r.err)
	}
	r = runScript(t, nil, "local function f(n) return 1 + f(n + 1) end\nhandle(iterate{1}, function() return f(1) end)\n", "")
	if r.err == nil || !strings.Contains(r.err.Error(), "job.lua:1: stack overflow") || exitcode.Of(r.err) != 1 {
		t.Fatalf("runaway recursion: %v (exit %d)", r.err, exitcode.Of(r.err))
	}
}

// TestHandlersWhileRegistering: Handlers may be read from another goroutine
// (a /metrics scrape) while the top level registers handlers (go test -race).
func TestHandlersWhileRegistering(t *testing.T) {
	rt := lua.New(lua.Options{Script: "job.lua", Modules: bindings.Modules(bindings.Deps{}),
		Source: []byte(`for i = 1, 300 do handle(iterate{i}, function() end) end`),
		Stdin:  strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-done:
				return
			default:
			}
			for _, h := range rt.Handlers() {
				_ = h.Name()
			}
		}
	}()
	err := rt.Run(context.Background())
	close(done)
	<-stopped
	if err != nil || len(rt.Handlers()) != 300 {
		t.Fatalf("err %v, %d handlers, want 300", err, len(rt.Handlers()))
	}
}

// TestErrorValues: error() with a value other than a string names the
// script line and prints the value readably; pcall still gets the value.
func TestErrorValues(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"table as JSON", "\nerror({code = 42, items = {1, 2}})", "job.lua:2: {\"code\":42,\"items\":[1,2]}"},
		{"message field", "error({message = \"no user\", code = 7})", "job.lua:1: no user"},
		{"msg field", "error({msg = \"no user\"})", "job.lua:1: no user"},
		{"__tostring", "error(setmetatable({}, {__tostring = function() return \"custom\" end}))", "job.lua:1: custom"},
		{"number", "error(42)", "job.lua:1: 42"},
		{"level 2", "local function check() error({message = \"bad\"}, 2) end\n\ncheck()", "job.lua:3: bad"},
		{"level 0", "error({message = \"bad\"}, 0)", "bad"},
		{"not JSON", "error({f = print})", "job.lua:1: table: 0x"},
		{"in a handler", "handle(iterate{1}, function() error({code = 1}) end)", "job.lua:1: {\"code\":1} (record iterate:1)"},
		{"string, as Lua", "error(\"plain\")", "job.lua:1: plain"},
		{"caught and re-raised", "local ok, e = pcall(error, {code = 1})\nerror(e)", "job.lua:2: {\"code\":1}"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runScript(t, nil, tt.src, "")
			if r.err == nil || !strings.HasPrefix(r.err.Error(), tt.want) || exitcode.Of(r.err) != 1 {
				t.Fatalf("err = %v (exit %d), want %q (exit 1)", r.err, exitcode.Of(r.err), tt.want)
			}
		})
	}
	r := runScript(t, nil, `local ok, e = pcall(error, {code = 7}) print(ok, type(e), e.code)`, "")
	if r.err != nil || r.stdout != "false\ttable\t7\n" {
		t.Fatalf("pcall: %q, %v", r.stdout, r.err)
	}
}

// TestStrictModules: reading a name a module table lacks is an error naming
// it, where Lua would return nil (and a call of it fail without a name).
func TestStrictModules(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"local s = json.encod({})", "job.lua:1: json.encod is nil (known: array, decode, encode, null)"},
		{"handle(iterate{1}, {pipe = {pipe.fliter(print)}}, print)", "job.lua:1: pipe.fliter is nil (known: accumulate, batch, dedupe, filter, map, pairwise, throttle)"},
		{"handle(iterate{1}, function(v) return time.nwo() end)", "job.lua:1: time.nwo is nil (known: format, now, parse) (record iterate:1)"},
	} {
		r := runScript(t, nil, tt.src, "")
		if r.err == nil || r.err.Error() != tt.want {
			t.Errorf("%s: err = %v, want %s", tt.src, r.err, tt.want)
		}
	}
	// Names a module has read as before; standard tables are untouched.
	r := runScript(t, nil, `print(json.null ~= nil, type(json.encode), string.nope, table.unpack == nil)`, "")
	if r.err != nil || r.stdout != "true\tfunction\tnil\ttrue\n" {
		t.Fatalf("got %q, %v", r.stdout, r.err)
	}
}

// TestOnStopGetsTheError: on_stop hooks get nil after a run that went well
// and the run's error message after one that failed.
func TestOnStopGetsTheError(t *testing.T) {
	r := runScript(t, nil, `
handle(iterate{1}, function(v) return v end)
on_stop(function(err) print("err", err) end)`, "")
	if r.err != nil || r.stdout != "1\nerr\tnil\n" {
		t.Fatalf("ok run: %q, %v", r.stdout, r.err)
	}
	r = runScript(t, nil, `
handle(iterate{1}, function(v) error("boom") end)
on_stop(function(err) print("err", err) end)`, "")
	if r.err == nil || r.stdout != "err\tjob.lua:2: boom (record iterate:1)\n" {
		t.Fatalf("failed run: %q, %v", r.stdout, r.err)
	}
}
