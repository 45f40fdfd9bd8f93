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
// them have status >= 500.
var benchInput = func() []byte {
	var b bytes.Buffer
	statuses := []int{200, 503, 200, 404}
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(&b, `{"ts":"2024-01-01T00:00:00Z","user":"u%d","status":%d,"path":"/api/v1/items/%d","bytes":%d}`+"\n",
			i%1000, statuses[i%4], i%100, 51234+i%1000)
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
