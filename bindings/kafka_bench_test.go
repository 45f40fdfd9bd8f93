package bindings_test

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/lua"
)

// BenchmarkKafkaPipe moves b.N records from topic "in" to topic "out" as a
// consumer group member, at least once (an input is committed only after
// its output was acknowledged), twice in the same run against kfake: once
// through the streamctl runtime (kafka.topic source -> Lua identity
// handler -> kafka.topic sink, as `streamctl run` does) and once with a
// plain franz-go program doing the same (poll, produce, mark on ack, commit
// at the end). Each gets a fresh broker holding b.N preloaded 100-byte
// records over 3 partitions; the time runs from start to the last commit,
// group join included. It reports lua-rec/s, raw-rec/s and x-raw (the
// runtime's throughput as a fraction of the plain program's; target >= 0.6).
//
//	go test -run '^$' -bench KafkaPipe -benchtime 100000x ./bindings/
func BenchmarkKafkaPipe(b *testing.B) {
	for _, tt := range []struct {
		name, handler string
		keyed         bool
	}{
		// The value only: the handler takes no meta, so none is built.
		{"value", "function(v) count(); return v end", false},
		// Value and key: meta is built for every record.
		{"keyed", "function(v, meta) count(); return v, meta.key end", true},
	} {
		b.Run(tt.name, func(b *testing.B) {
			n := b.N
			luaTime := timePipe(b, n, func(b *testing.B, brokers string, n int) { runLuaPipe(b, brokers, n, tt.handler) })
			rawTime := timePipe(b, n, func(b *testing.B, brokers string, n int) { runRawPipe(b, brokers, n, tt.keyed) })
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(float64(n)/luaTime.Seconds(), "lua-rec/s")
			b.ReportMetric(float64(n)/rawTime.Seconds(), "raw-rec/s")
			b.ReportMetric(rawTime.Seconds()/luaTime.Seconds(), "x-raw")
		})
	}
}

// timePipe starts a broker with n records in "in", times run, and checks
// that "out" then holds n records and the group committed all of "in".
func timePipe(b *testing.B, n int, run func(b *testing.B, brokers string, n int)) time.Duration {
	b.Helper()
	brokers, stop := benchBroker(b, n)
	defer stop()
	start := time.Now()
	run(b, brokers, n)
	took := time.Since(start)
	if got := countRecords(b, brokers, "out", int64(n)); got < int64(n) {
		b.Fatalf("out holds %d records, want %d", got, n)
	}
	return took
}

// luaPipeScript runs a handler (an identity function, formatted in) as a
// group member, stopping after args.n records.
const luaPipeScript = `
local n, limit = 0, tonumber(args.n)
local function count()
  n = n + 1
  if n == limit then stop() end
end
handle(kafka.topic("in", {group = "bench"}), {sink = kafka.topic("out")}, %s)
`

func runLuaPipe(b *testing.B, brokers string, n int, handler string) {
	rt := lua.New(lua.Options{
		Script: "pipe.lua", Source: fmt.Appendf(nil, luaPipeScript, handler),
		Modules: bindings.Modules(bindings.Deps{Brokers: []string{brokers}, Set: [][2]string{{"n", fmt.Sprint(n)}}}),
		Stdout:  io.Discard, Stderr: io.Discard,
	})
	if err := rt.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// runRawPipe is the plain franz-go program: a group consumer with marks
// (AutoCommitMarks), a producer, each input marked when its output is
// acknowledged, the marks committed at the end; the key is copied when
// keyed.
func runRawPipe(b *testing.B, brokers string, n int, keyed bool) {
	cons, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics("in"), kgo.ConsumerGroup("bench"),
		kgo.AutoCommitMarks(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		b.Fatal(err)
	}
	defer cons.Close()
	prod, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.DefaultProduceTopic("out"))
	if err != nil {
		b.Fatal(err)
	}
	defer prod.Close()
	ctx := context.Background()
	var acked atomic.Int64
	done := make(chan struct{})
	for polled := 0; polled < n; {
		fs := cons.PollRecords(ctx, 5000)
		if err := fs.Err(); err != nil {
			b.Fatal(err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			polled++
			out := &kgo.Record{Value: r.Value}
			if keyed {
				out.Key = r.Key
			}
			prod.Produce(ctx, out, func(_ *kgo.Record, err error) {
				if err != nil {
					b.Error(err)
					return
				}
				cons.MarkCommitRecords(r)
				if acked.Add(1) == int64(n) {
					close(done)
				}
			})
		})
	}
	<-done
	if err := cons.CommitMarkedOffsets(ctx); err != nil {
		b.Fatal(err)
	}
}

// benchBroker starts an in-process broker with topics "in" and "out" of 3
// partitions and n records in "in"; stop closes it.
func benchBroker(b *testing.B, n int) (brokers string, stop func()) {
	b.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "in", "out"))
	if err != nil {
		b.Fatal(err)
	}
	brokers = c.ListenAddrs()[0]
	preloadBench(b, brokers, n)
	return brokers, c.Close
}

// preloadBench writes n 100-byte records to "in", keyed over 64 keys.
func preloadBench(b *testing.B, brokers string, n int) {
	b.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.DefaultProduceTopic("in"))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	for i := range n {
		r := &kgo.Record{Key: fmt.Appendf(nil, "k%d", i%64), Value: fmt.Appendf(make([]byte, 0, 100), "%0100d", i)}
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				b.Error(err)
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
}

// countRecords reads topic until it saw want records or 30s passed, and
// returns how many it saw.
func countRecords(b *testing.B, brokers, topic string, want int64) int64 {
	b.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got int64
	for got < want && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(*kgo.Record) { got++ })
	}
	return got
}

// BenchmarkKafkaCount counts b.N records of "in" per key as a consumer
// group member, twice in the same run against kfake: with the counts in a
// Lua table (no state) and with cache:incr on a persistent cache, whose
// writes are committed with the input offsets (api.md section 10, default
// commit interval). Each run gets a fresh broker holding b.N preloaded
// records keyed over 64 keys; the time runs from start to the end of the run
// (the last commit included). It reports nostate-rec/s, state-rec/s and
// x-nostate (the stateful throughput as a fraction of the stateless one;
// target >= 0.8).
//
//	go test -run '^$' -bench KafkaCount -benchtime 200000x ./bindings/
func BenchmarkKafkaCount(b *testing.B) {
	n := b.N
	run := func(handler string) time.Duration {
		brokers, stop := benchBroker(b, n) // "out" stays empty
		defer stop()
		start := time.Now()
		rt := lua.New(lua.Options{
			Script: "count.lua", Source: fmt.Appendf(nil, luaCountScript, handler),
			Modules: bindings.Modules(bindings.Deps{Brokers: []string{brokers}, StateDir: b.TempDir(),
				Set: [][2]string{{"n", fmt.Sprint(n)}}}),
			Stdout: io.Discard, Stderr: io.Discard,
		})
		if err := rt.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	stateful := run(`local cache = cache.open("counts")
local function incr(k) cache:incr(k) end`)
	plain := run(`local counts = {}
local function incr(k) counts[k] = (counts[k] or 0) + 1 end`)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(n)/plain.Seconds(), "nostate-rec/s")
	b.ReportMetric(float64(n)/stateful.Seconds(), "state-rec/s")
	b.ReportMetric(plain.Seconds()/stateful.Seconds(), "x-nostate")
}

// luaCountScript counts the records of "in" per key with incr (formatted
// in), stopping after args.n records.
const luaCountScript = `
%s
local n, limit = 0, tonumber(args.n)
handle(kafka.topic("in", {group = "bench"}), function(v, meta)
  incr(meta.key)
  n = n + 1
  if n == limit then stop() end
end)
`
