package bindings_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/lua"
	"github.com/streamctl/streamctl/value"
	glua "github.com/yuin/gopher-lua"
)

// BenchmarkWindowTumblingLua is a keyed tumbling count through the Lua
// window operator: 10k keys round robin, an event every 100µs of event time,
// 10s windows (100k events and 10k finals per window), on a persistent
// cache. One op is one event; the 1M-event figure:
//
//	go test -run '^$' -bench WindowTumblingLua -benchtime 1000000x ./bindings/
//
// "handler" feeds the events through handle(iterate(gen), {pipe =
// {window.tumbling{...}}}, fn): the whole runtime path of a record.
// "operator" calls the operator's push from a Lua loop at the top level: the
// window operator alone (time and key functions, conversion, state.Windower,
// the store). Windows are written at the run's commits (every second and
// at the end), as by default. Lua times its own loop with time.now(), so
// start-up is left out.
func BenchmarkWindowTumblingLua(b *testing.B) {
	for _, mode := range []string{"handler", "operator"} {
		{
			b.Run(mode, func(b *testing.B) {
				src := windowBenchHandler
				if mode == "operator" {
					src = windowBenchOperator
				}
				var out, errb bytes.Buffer
				rt := lua.New(lua.Options{
					Script: "bench.lua",
					Source: []byte(src),
					Modules: bindings.Modules(bindings.Deps{StateDir: b.TempDir(),
						Set: [][2]string{{"n", strconv.Itoa(b.N)}}}),
					Stdin:  strings.NewReader(""),
					Stdout: &out,
					Stderr: &errb,
				})
				b.ResetTimer()
				if err := rt.Run(context.Background()); err != nil {
					b.Fatalf("%v\n%s", err, errb.String())
				}
				b.StopTimer()
				f := strings.Fields(out.String())
				if len(f) != 2 {
					b.Fatalf("lua output %q", out.String())
				}
				secs, _ := strconv.ParseFloat(f[0], 64)
				finals, _ := strconv.Atoi(f[1])
				if want := b.N / 10; finals < want { // every key's window holds 10 events
					b.Fatalf("%d finals, want >= %d", finals, want)
				}
				b.ReportMetric(float64(b.N)/secs, "events/s")
				b.ReportMetric(float64(finals), "finals")
			})
		}
	}
}

const windowBenchCommon = `
local n = tonumber(args.n)
local i, finals, start = 0, 0, nil
local function gen()
  i = i + 1
  if i == 1 then start = time.now() end
  if i <= n then return i end
end
local op = window.tumbling{size = 10,
  time = function(e) return 1.7e9 + e * 0.0001 end, key = function(e) return e % 10000 end}
`

const windowBenchHandler = windowBenchCommon + `
handle(iterate(gen), {pipe = {op}}, function(w) finals = finals + 1 end)
on_stop(function() print(string.format("%.6f %d", time.now() - start, finals)) end)
`

const windowBenchOperator = windowBenchCommon + `
local function count() finals = finals + 1 end
local e = gen()
while e do op:push(e, nil, count); e = gen() end
op:flush(count)
print(string.format("%.6f %d", time.now() - start, finals))
`

// BenchmarkWindowHandler is the keyed tumbling count of docs/performance.md
// through the whole handler path with the default durability: a Go source
// hands b.N decoded records {user = "user-N", t = T} (10k users round robin,
// 100µs of event time apart) to a handler whose pipe is
// window.tumbling{size = 10, time =, key =} over the persistent "windows"
// cache, committed every second with the source's position as any job
// that keeps state (the final commit included). The records arrive decoded,
// as from a Kafka topic or a file whose codec runs in the source's goroutine:
// what is measured is the handler path and the windows. One op is one event:
//
//	go test -run '^$' -bench WindowHandler -benchtime 1000000x ./bindings/
func BenchmarkWindowHandler(b *testing.B) {
	src := &benchSource{n: b.N}
	var out, errb bytes.Buffer
	rt := lua.New(lua.Options{
		Script: "bench.lua",
		Source: []byte(windowHandlerBench),
		Modules: append(bindings.Modules(bindings.Deps{StateDir: b.TempDir()}),
			benchSourceModule{src}),
		Stdin:  strings.NewReader(""),
		Stdout: &out,
		Stderr: &errb,
	})
	b.ReportAllocs()
	b.ResetTimer()
	if err := rt.Run(context.Background()); err != nil {
		b.Fatalf("%v\n%s", err, errb.String())
	}
	b.StopTimer()
	finals, _ := strconv.Atoi(strings.TrimSpace(out.String()))
	if want := b.N / 10; finals < want { // every user's window holds 10 events
		b.Fatalf("%d finals, want >= %d", finals, want)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

const windowHandlerBench = `
local finals = 0
handle(bench_source, {pipe = {window.tumbling{size = 10,
    time = function(e) return e.t end, key = function(e) return e.user end}}},
  function(w) finals = finals + 1 end)
on_stop(function() print(finals) end)
`

// benchSource emits n records {user, t} of the window benchmarks.
type benchSource struct{ n int }

func (s *benchSource) Run(ctx context.Context, emit func(context.Context, connectors.Record) error) error {
	users := make([]string, 10000)
	for i := range users {
		users[i] = "user-" + strconv.Itoa(i)
	}
	for i := range s.n {
		v := value.Object{{Key: "user", Value: users[i%len(users)]}, {Key: "t", Value: 1.7e9 + float64(i)*0.0001}}
		if err := emit(ctx, connectors.Record{Value: v, Source: "bench", Pos: int64(i + 1)}); err != nil {
			return err
		}
	}
	return nil
}

// LuaSource implements lua.SourceProvider.
func (s *benchSource) LuaSource(*lua.State) (connectors.Source, *glua.LFunction, error) {
	return s, nil, nil
}

// benchSourceModule sets the global bench_source.
type benchSourceModule struct{ src *benchSource }

func (benchSourceModule) Name() string { return "bench_source" }

func (m benchSourceModule) Open(s *lua.State) error {
	ud := s.L.NewUserData()
	ud.Value = m.src
	s.L.SetGlobal("bench_source", ud)
	return nil
}
