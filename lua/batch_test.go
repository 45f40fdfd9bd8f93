package lua_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/lua"
)

// mixedSource emits records 1..n with acks logged. Every 97th record is bad
// input and every 89th is stale by the time a handler takes it (dropped, not
// acked), so both happen in the middle of a batch of the driver.
type mixedSource struct {
	n   int
	log *ackLog
}

func (s *mixedSource) Run(ctx context.Context, emit func(context.Context, connectors.Record) error) error {
	for i := 1; i <= s.n; i++ {
		pos := int64(i)
		rec := connectors.Record{Value: pos, Source: "test", Pos: pos, Ack: func(err error) {
			s.log.mu.Lock()
			s.log.acks[pos] = append(s.log.acks[pos], err)
			s.log.order = append(s.log.order, fmt.Sprintf("ack %d", pos))
			s.log.mu.Unlock()
		}}
		switch {
		case i%97 == 0:
			rec.Value, rec.Raw = nil, []byte("{bad")
			rec.Err = &connectors.BadInputError{Source: "test", Pos: pos, Err: errors.New("bad json")}
		case i%89 == 0:
			rec.Valid = func() bool { return false }
		}
		if err := emit(ctx, rec); err != nil {
			return err
		}
	}
	return nil
}

func (s *mixedSource) LuaSource(*lua.State) (connectors.Source, *glua.LFunction, error) {
	return s, nil, nil
}

// batchModule exposes the mixed source, the acking sink and steps_run(),
// the number of steps the calling handler's driver ran in its resume.
type batchModule struct {
	src  *mixedSource
	sink *asyncSink
}

func (batchModule) Name() string { return "batchtest" }
func (m batchModule) Open(s *lua.State) error {
	src := s.L.NewUserData()
	src.Value = m.src
	s.L.SetGlobal("mixedsrc", src)
	sink := s.L.NewUserData()
	sink.Value = &sinkProvider{s: m.sink}
	s.L.SetGlobal("testsink", sink)
	s.L.SetGlobal("steps_run", s.L.NewFunction(func(L *glua.LState) int {
		L.Push(glua.LNumber(lua.StepsInResume(s, L)))
		return 1
	}))
	return nil
}

// TestBatchedStepsKeepOrderAcksAndFairness runs many records through a
// handler whose driver runs several queued records per resume, with bad
// input, stale records and script errors among them, waiting calls in the
// middle of batches, a second handler on the same source and a timer handler
// that must make progress while a batch waits.
func TestBatchedStepsKeepOrderAcksAndFairness(t *testing.T) {
	const n = 3000 // not a multiple of 97, 89 or 101: the last record is output
	log := &ackLog{acks: map[int64][]error{}}
	m := batchModule{src: &mixedSource{n: n, log: log}, sink: &asyncSink{log: log}}
	var out, errb strings.Builder
	rt := lua.New(lua.Options{Script: "job.lua", Modules: append(bindings.Modules(bindings.Deps{Set: [][2]string{{"n", strconv.Itoa(n)}}}), m),
		Stdout: &out, Stderr: &errb,
		Source: []byte(`
local n = tonumber(args.n)
local ticks, done, last, last2 = 0, 0, 0, 0
local maxrun, waits = 0, 0
local src = mixedsrc
handle(timer{every = 0.001}, {name = "ticker"}, function()
  ticks = ticks + 1
  if done == 2 then stop() end
end)
handle(src, {name = "main", sink = testsink, on_error = "skip"}, function(v)
  if v <= last then error(("record %d after %d"):format(v, last)) end
  last = v
  maxrun = math.max(maxrun, steps_run())
  if v % 500 == 0 then
    -- Wait mid-batch until the timer handler ran: other coroutines must
    -- run while this one waits.
    local t = ticks
    repeat sleep(0.001) until ticks > t
    waits = waits + 1
  end
  if v == n then done = done + 1 end
  if v % 101 == 0 then error("boom") end
  return v
end)
handle(src, {name = "second", on_error = "skip"}, function(v)
  if v <= last2 then error(("record %d after %d"):format(v, last2)) end
  last2 = v
  if v % 700 == 0 then sleep(0.002) end
  if v == n then done = done + 1 end
end)
on_stop(function()
  print(string.format("maxrun=%d waits=%d", maxrun, waits))
end)`)})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := rt.Run(ctx); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	var maxRun, waits int
	if _, err := fmt.Sscanf(out.String(), "maxrun=%d waits=%d", &maxRun, &waits); err != nil {
		t.Fatalf("stdout %q: %v", out.String(), err)
	}
	if maxRun < 2 || maxRun > lua.MaxStepsPerResume {
		t.Errorf("a driver ran up to %d steps per resume, want 2..%d", maxRun, lua.MaxStepsPerResume)
	}
	if waits != n/500 {
		t.Errorf("%d waits ended, want %d", waits, n/500)
	}
	checkBatchCounts(t, rt, n)
	checkBatchAcks(t, log, n)
	checkBatchOutputOrder(t, log, n)
}

// outputs reports whether the main handler of the test outputs record i.
func outputs(i int) bool { return i%97 != 0 && i%89 != 0 && i%101 != 0 }

func checkBatchCounts(t *testing.T, rt *lua.Runtime, n int) {
	t.Helper()
	var stale, bad, boom int
	for i := 1; i <= n; i++ {
		switch {
		case i%97 == 0:
			bad++
		case i%89 == 0:
			stale++
		case i%101 == 0:
			boom++
		}
	}
	for _, h := range rt.Handlers() {
		in, out, failed, skipped := h.Counts()
		switch h.Name() {
		case "main":
			if in != int64(n-stale) || out != int64(n-stale-bad-boom) || failed != int64(bad+boom) || skipped != failed {
				t.Errorf("main: in %d out %d failed %d skipped %d; want %d %d %d %d", in, out, failed, skipped, n-stale, n-stale-bad-boom, bad+boom, bad+boom)
			}
		case "second":
			if in != int64(n-stale) || failed != int64(bad) {
				t.Errorf("second: in %d failed %d; want %d %d", in, failed, n-stale, bad)
			}
		}
	}
}

// checkBatchAcks: every current record is acked exactly once, without an
// error, after the acks of its outputs; stale records are not acked.
func checkBatchAcks(t *testing.T, log *ackLog, n int) {
	t.Helper()
	log.mu.Lock()
	defer log.mu.Unlock()
	idx := make(map[string]int, len(log.order))
	for i, e := range log.order {
		idx[e] = i
	}
	for i := 1; i <= n; i++ {
		got := log.acks[int64(i)]
		if i%89 == 0 && i%97 != 0 {
			if len(got) != 0 {
				t.Fatalf("stale record %d acked %v", i, got)
			}
			continue
		}
		if len(got) != 1 || got[0] != nil {
			t.Fatalf("record %d acked %v, want once with nil", i, got)
		}
		if outputs(i) && idx[fmt.Sprintf("ack %d", i)] < idx[fmt.Sprintf("acked %d", i)] {
			t.Fatalf("record %d acked before its output was", i)
		}
	}
}

// checkBatchOutputOrder: the outputs reached the sink once each, in order.
func checkBatchOutputOrder(t *testing.T, log *ackLog, n int) {
	t.Helper()
	log.mu.Lock()
	defer log.mu.Unlock()
	next := 1
	for _, e := range log.order {
		v, ok := strings.CutPrefix(e, "write ")
		if !ok {
			continue
		}
		for next <= n && !outputs(next) {
			next++
		}
		if v != strconv.Itoa(next) {
			t.Fatalf("output %s, want %d", v, next)
		}
		next++
	}
	for next <= n && !outputs(next) {
		next++
	}
	if next <= n {
		t.Fatalf("outputs end before record %d", next)
	}
}

// TestBatchedStepsWithTimedPipeFlushes mixes the pipe operator's timed
// flushes (queued between records while a batch runs or waits) and the
// final flush with batched records: every value comes out once, in order.
func TestBatchedStepsWithTimedPipeFlushes(t *testing.T) {
	const n = 5000
	r := runScript(t, nil, fmt.Sprintf(`
local i = 0
handle(iterate(function() i = i + 1; if i <= %d then return i end end),
  {pipe = {pipe.batch{size = 64, every = 0.001}}},
  function(list)
    for _, x in ipairs(list) do emit(x) end
    if list[1] %% 5 == 0 then sleep(0.001) end
  end)
`, n), "")
	if r.err != nil {
		t.Fatal(r.err)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("got %d lines, want %d", len(lines), n)
	}
	for i, l := range lines {
		if l != strconv.Itoa(i+1) {
			t.Fatalf("line %d is %q", i+1, l)
		}
	}
}

// decodingSource emits the strings "1".."n" and decodes them with a Lua
// function that runs a coroutine of its own, in the main state.
type decodingSource struct{ n int }

func (s decodingSource) Run(ctx context.Context, emit func(context.Context, connectors.Record) error) error {
	for i := 1; i <= s.n; i++ {
		if err := emit(ctx, connectors.Record{Value: strconv.Itoa(i), Source: "test", Pos: int64(i)}); err != nil {
			return err
		}
	}
	return nil
}

func (s decodingSource) LuaSource(st *lua.State) (connectors.Source, *glua.LFunction, error) {
	fn, err := st.Load([]byte(`return function(v)
  return coroutine.wrap(function() coroutine.yield(tonumber(v)) end)()
end`), "=decode")
	if err != nil {
		return nil, nil, err
	}
	res, err := st.CallValues(fn, 1)
	if err != nil {
		return nil, nil, err
	}
	return s, res[0].(*glua.LFunction), nil
}

type decodingModule struct{ n int }

func (decodingModule) Name() string { return "decoding" }
func (m decodingModule) Open(s *lua.State) error {
	ud := s.L.NewUserData()
	ud.Value = decodingSource{n: m.n}
	s.L.SetGlobal("decodingsrc", ud)
	return nil
}

// TestBatchedStepsAfterDecodeWithCoroutine: a codec's decode function runs
// between two steps of a batch; its own coroutine must not leave the
// handler's coroutine looking like something else.
func TestBatchedStepsAfterDecodeWithCoroutine(t *testing.T) {
	const n = 2000
	var out, errb strings.Builder
	rt := lua.New(lua.Options{Script: "job.lua", Modules: append(bindings.Modules(bindings.Deps{}), decodingModule{n: n}),
		Stdout: &out, Stderr: &errb,
		Source: []byte(`
local sum, bad, driver = 0, 0, nil
handle(decodingsrc, function(v)
  local co = coroutine.running()
  driver = driver or co -- no step fails: one driver coroutine runs them all
  if co ~= driver or coroutine.status(co) ~= "running" then bad = bad + 1 end
  sum = sum + v
end)
on_stop(function() print(sum, bad) end)`)})
	if err := rt.Run(context.Background()); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if want := fmt.Sprintf("%d\t0\n", n*(n+1)/2); out.String() != want {
		t.Fatalf("stdout %q, want %q (sum, steps that saw another coroutine)", out.String(), want)
	}
}

// TestBatchedStepErrorNamesItsRecord: a record failing in the middle of a
// batch is the one the error names, and the run stops there.
func TestBatchedStepErrorNamesItsRecord(t *testing.T) {
	var in strings.Builder
	for i := 1; i <= 1000; i++ {
		fmt.Fprintf(&in, "%d\n", i)
	}
	r := runScript(t, nil, `local seen = 0
handle(stdin(), function(v)
  seen = seen + 1
  if v == "700" then error("boom") end
end)
on_stop(function() print(seen) end)`, in.String())
	want := "job.lua:4: boom (record stdin:700)"
	if r.err == nil || r.err.Error() != want {
		t.Fatalf("err = %v, want %q", r.err, want)
	}
	if r.stdout != "700\n" {
		t.Fatalf("stdout = %q: records after the failed one ran", r.stdout)
	}
}
