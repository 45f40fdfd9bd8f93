package oneliner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"
)

// benchInput is 100k NDJSON lines shaped like an access log; a quarter of
// them have status >= 500, a sixth path "/login".
var benchInput = func() []byte {
	var b bytes.Buffer
	statuses := []int{200, 503, 200, 404}
	for i := 0; i < 100000; i++ {
		path := fmt.Sprintf("/api/v1/items/%d", i%100)
		if i%6 == 5 {
			path = "/login"
		}
		fmt.Fprintf(&b, `{"ts":"2024-01-01T00:00:00Z","user":"u%d","status":%d,"path":"%s","bytes":%d}`+"\n",
			i%1000, statuses[i%4], path, 51234+i%1000)
	}
	return b.Bytes()
}()

func benchPipe(b *testing.B, workers int, expr string) {
	b.Helper()
	b.SetBytes(int64(len(benchInput)))
	b.ReportAllocs()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		p, err := New(Options{Expr: expr, InCodec: "json", Workers: workers})
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Run(context.Background(), bytes.NewReader(benchInput), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPipeFilter(b *testing.B) { benchPipe(b, 1, "status >= 500") }
func BenchmarkPipeReshape(b *testing.B) {
	benchPipe(b, 1, "{user = user, kb = math.floor(bytes / 1024)}")
}
func BenchmarkPipeRecord(b *testing.B) { benchPipe(b, 1, `_.status >= 500 and _.user ~= "u1"`) }

// BenchmarkPipeModify changes a field of a sixth of the records and
// writes them whole: the reused record table (record.go).
func BenchmarkPipeModify(b *testing.B) {
	benchPipe(b, 1, `if _.path == "/login" then _.bytes = _.bytes + 1; return _ end`)
}
func BenchmarkPipeFilterW2(b *testing.B) {
	benchPipe(b, 2, "status >= 500")
}
func BenchmarkPipeRecordW2(b *testing.B) { benchPipe(b, 2, `_.status >= 500 and _.user ~= "u1"`) }

// reportCPU reports the process's CPU time (user + sys, all threads) per
// op as "cpu-ns/op" when the returned function is called. On a shared
// machine it moves less than ns/op, and with several workers ns/op against
// cpu-ns/op shows how many cores the benchmark got.
func reportCPU(b *testing.B) func() {
	start := processCPU()
	b.ResetTimer()
	return func() {
		b.StopTimer()
		if b.N > 0 {
			b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
