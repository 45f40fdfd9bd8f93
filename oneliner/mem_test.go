package oneliner

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// genReader generates n NDJSON access-log lines on the fly (no file, no
// buffer holding them): the input of TestPipeMemoryFlat.
type genReader struct {
	n, i int
	x    uint64
	pend []byte
	read *atomic.Int64 // lines handed out
}

func (g *genReader) Read(b []byte) (int, error) {
	statuses := [...]int{200, 200, 200, 201, 204, 301, 304, 404, 500, 502, 503, 200}
	paths := [...]string{"/api/v1/items/", "/api/v1/users/", "/static/app.js?v=", "/health/", "/api/v2/orders/"}
	k := 0
	for k < len(b) {
		if len(g.pend) == 0 {
			if g.i >= g.n {
				break
			}
			g.x ^= g.x << 13
			g.x ^= g.x >> 7
			g.x ^= g.x << 17
			r := g.x
			g.pend = fmt.Appendf(g.pend[:0], `{"ts":"2024-01-01T00:00:%02dZ","user":"u%d","status":%d,"path":"%s%d","bytes":%d}`+"\n",
				g.i%60, (r>>8)%5000, statuses[(r>>40)%12], paths[(r>>20)%5], (r>>24)%1000, (r>>34)%200000)
			g.i++
			g.read.Add(1)
		}
		c := copy(b[k:], g.pend)
		k += c
		g.pend = g.pend[c:]
	}
	if k == 0 {
		return 0, io.EOF
	}
	return k, nil
}

// lineCounter counts the lines written to it.
type lineCounter struct{ n int64 }

func (c *lineCounter) Write(b []byte) (int, error) {
	c.n += int64(bytes.Count(b, []byte{'\n'}))
	return len(b), nil
}

// procRSS returns this process's VmRSS in MB (0 when unknown).
func procRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:")); ok {
			if fs := bytes.Fields(rest); len(fs) > 0 {
				kb, _ := strconv.ParseFloat(string(fs[0]), 64)
				return kb / 1024
			}
		}
	}
	return 0
}

// TestPipeMemoryFlat streams generated lines through a JSON filter pipe and
// samples the live heap (as of the last collection) and the RSS: after
// warm-up (the first tenth of the input) neither may grow by more than
// 8 MB, and the RSS stays under 100 MB (this test process holds more than
// the streamctl binary does: the 10 MB benchmark input among others). By
// default 1M lines (about a second); STREAMCTL_MEM_LINES=10000000 runs the
// 10M-line check of docs/performance.md (about 10 s):
//
//	STREAMCTL_MEM_LINES=10000000 go test -run PipeMemoryFlat -v ./lua/
func TestPipeMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 1M lines")
	}
	if raceEnabled {
		t.Skip("the race detector multiplies memory: RSS means nothing under -race")
	}
	n := 1_000_000
	if s := os.Getenv("STREAMCTL_MEM_LINES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1000 {
			t.Fatalf("STREAMCTL_MEM_LINES=%q: want a number of lines >= 1000", s)
		}
		n = v
	}
	var read atomic.Int64
	out := &lineCounter{}
	p, err := New(Options{Expr: "status >= 500", InCodec: "json"})
	if err != nil {
		t.Fatal(err)
	}
	type sample struct {
		lines     int64
		heap, rss float64
	}
	var samples []sample
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	take := func() {
		metrics.Read(live)
		samples = append(samples, sample{read.Load(), float64(live[0].Value.Uint64()) / (1 << 20), procRSS()})
	}
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- p.Run(context.Background(), &genReader{n: n, x: 88172645463325252, read: &read}, out) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for running := true; running; {
		select {
		case <-tick.C:
			take()
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
		}
	}
	take()
	elapsed := time.Since(start)
	if out.n < int64(n)/5 || out.n > int64(n)/3 {
		t.Errorf("%d of %d lines passed, want about a quarter", out.n, n)
	}
	var peakRSS, warmHeap, warmRSS, maxHeap, maxRSS float64
	warmed := false
	next := int64(0)
	for _, s := range samples {
		peakRSS = max(peakRSS, s.rss)
		if s.lines >= next {
			t.Logf("%3.0f%% of the input: live heap %5.1f MB, RSS %5.1f MB", 100*float64(s.lines)/float64(n), s.heap, s.rss)
			next += int64(n) / 10
		}
		if s.lines < int64(n)/10 {
			continue
		}
		if !warmed {
			warmHeap, warmRSS, warmed = s.heap, s.rss, true
		}
		maxHeap, maxRSS = max(maxHeap, s.heap), max(maxRSS, s.rss)
	}
	t.Logf("%d lines in %.1f s (%d samples): peak RSS %.1f MB; after warm-up live heap %.1f -> max %.1f MB, RSS %.1f -> max %.1f MB",
		n, elapsed.Seconds(), len(samples), peakRSS, warmHeap, maxHeap, warmRSS, maxRSS)
	if peakRSS >= 100 {
		t.Errorf("peak RSS %.1f MB, want < 100 MB", peakRSS)
	}
	if warmed && (maxHeap-warmHeap > 8 || maxRSS-warmRSS > 8) {
		t.Errorf("memory grew after warm-up: live heap %.1f -> %.1f MB, RSS %.1f -> %.1f MB", warmHeap, maxHeap, warmRSS, maxRSS)
	}
}
