package state

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkWindowTumbling is a keyed tumbling count: 10k keys round robin,
// an event every 100µs of event time, 10s windows (so 100k events and 10k
// finals per window), with a commit (Store.Commit, which flushes the
// windows) every 100k events as the runtime does at its commit interval.
// One op is one event; run it with -benchtime=1000000x for the 1M-event
// figure.
func BenchmarkWindowTumbling(b *testing.B) {
	for _, disk := range []bool{false, true} {
		name := "memory"
		if disk {
			name = "disk"
		}
		b.Run(name, func(b *testing.B) {
			s, err := Open(b.TempDir(), WithSweepInterval(0))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			c, err := s.Cache("bench", CacheConfig{Memory: !disk})
			if err != nil {
				b.Fatal(err)
			}
			w, err := NewWindower(WindowConfig{Kind: Tumbling, Size: 10 * time.Second, Agg: mustAgg(b, "count"), Name: "bench"}, c.Deferred())
			if err != nil {
				b.Fatal(err)
			}
			s.OnCommit(w.Flush)
			keys := make([]any, 10000)
			for i := range keys {
				keys[i] = fmt.Sprintf("user-%d", i)
			}
			base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			finals := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				out, _, err := w.Add(keys[i%len(keys)], base.Add(time.Duration(i)*100*time.Microsecond), int64(1))
				if err != nil {
					b.Fatal(err)
				}
				finals += len(out)
				if i%100000 == 99999 {
					if err := s.Commit(nil); err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := s.Commit(nil); err != nil {
				b.Fatal(err)
			}
			out, err := w.CloseAll()
			if err != nil {
				b.Fatal(err)
			}
			finals += len(out)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(finals), "finals")
		})
	}
}
