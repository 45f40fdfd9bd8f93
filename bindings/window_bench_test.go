package bindings_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/lua"
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
