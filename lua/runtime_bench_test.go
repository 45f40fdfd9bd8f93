package lua_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/lua"
)

// ndjson returns n access-log lines, a quarter with status 503.
func ndjson(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		status := 200
		if i%4 == 0 {
			status = 503
		}
		fmt.Fprintf(&b, `{"ts":"2024-01-01T00:00:%02dZ","user":"u%d","status":%d,"path":"/api/v1/items/%d","bytes":%d}`+"\n",
			i%60, i%1000, status, i%100, (i*7919)%100000)
	}
	return b.String()
}

// BenchmarkHandlerFilterJSON measures the handler path of `streamctl run`:
// decode NDJSON, call a Lua handler per record in a coroutine, encode the
// quarter it returns.
func BenchmarkHandlerFilterJSON(b *testing.B) {
	benchHandler(b, `handle(stdin{codec="json"}, function(v) if v.status >= 500 then return v end end)`)
}

// BenchmarkHandlerCount measures the per-record overhead with a trivial handler.
func BenchmarkHandlerCount(b *testing.B) {
	benchHandler(b, `local n = 0; handle(stdin(), function(v) n = n + 1 end)`)
}

// BenchmarkHandlerCountTimeout is BenchmarkHandlerCount with a timeout:
// each record gets a deadline context, and the VM checks it at each
// instruction.
func BenchmarkHandlerCountTimeout(b *testing.B) {
	benchHandler(b, `local n = 0; handle(stdin(), {timeout = "1m"}, function(v) n = n + 1 end)`)
}

// BenchmarkHandlerLoop runs 200 iterations of a Lua loop per record: the
// cost of the VM's check of the timeout shows per instruction.
func BenchmarkHandlerLoop(b *testing.B) {
	benchHandler(b, `local n = 0; handle(stdin(), function(v) for i = 1, 200 do n = n + i end end)`)
}

// BenchmarkHandlerLoopTimeout is BenchmarkHandlerLoop with a timeout.
func BenchmarkHandlerLoopTimeout(b *testing.B) {
	benchHandler(b, `local n = 0; handle(stdin(), {timeout = "1m"}, function(v) for i = 1, 200 do n = n + i end end)`)
}

func benchHandler(b *testing.B, script string) {
	const lines = 100000
	in := ndjson(lines)
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rt := lua.New(lua.Options{Script: "bench.lua", Source: []byte(script), Modules: bindings.Modules(bindings.Deps{}),
			Stdin: strings.NewReader(in), Stdout: io.Discard, Stderr: io.Discard})
		if err := rt.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "records/s")
}
