package kafka

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamctl/streamctl/connectors"
)

// preload writes n 100-byte records to topic, round robin over partitions.
func preload(b *testing.B, c *kfake.Cluster, topic string, n int) {
	b.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	for i := range n {
		v := fmt.Appendf(make([]byte, 0, 100), "%0100d", i)
		cl.Produce(ctx, &kgo.Record{Value: v}, func(_ *kgo.Record, err error) {
			if err != nil {
				b.Error(err)
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkTopicPipe consumes b.N records with a group, writes each to
// another topic through Topic and acknowledges the input when the output is
// acknowledged (the at-least-once pipeline streamctl runs), until every
// input record is acknowledged.
func BenchmarkTopicPipe(b *testing.B) {
	c := newBroker(b, kfake.SeedTopics(3, "in", "out"))
	preload(b, c, "in", b.N)
	in := newTopic(b, c, "in", func(cfg *Config) { cfg.Group = "bench" })
	out := newTopic(b, c, "out", nil)
	var acked atomic.Int64
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	b.ResetTimer()
	go in.Run(ctx, func(ctx context.Context, r connectors.Record) error {
		ack := r.Ack
		return out.Write(ctx, connectors.Record{Value: r.Value, Key: r.Key, Ack: func(err error) {
			ack(err)
			if acked.Add(1) == int64(b.N) {
				close(done)
			}
		}})
	})
	<-done
	b.StopTimer()
}

// BenchmarkRawFranzPipe is BenchmarkTopicPipe written directly against
// franz-go: a group consumer with marks, a producer, marking each input
// record when its output is acknowledged.
func BenchmarkRawFranzPipe(b *testing.B) {
	c := newBroker(b, kfake.SeedTopics(3, "in", "out"))
	preload(b, c, "in", b.N)
	cons, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("in"),
		kgo.ConsumerGroup("bench"), kgo.AutoCommitMarks(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		b.Fatal(err)
	}
	defer cons.Close()
	prod, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic("out"))
	if err != nil {
		b.Fatal(err)
	}
	defer prod.Close()
	var acked atomic.Int64
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		for ctx.Err() == nil {
			fs := cons.PollRecords(ctx, defaultPollRecords)
			fs.EachRecord(func(r *kgo.Record) {
				prod.Produce(ctx, &kgo.Record{Value: r.Value, Key: r.Key}, func(_ *kgo.Record, err error) {
					if err == nil {
						cons.MarkCommitRecords(r)
					}
					if acked.Add(1) == int64(b.N) {
						close(done)
					}
				})
			})
		}
	}()
	<-done
	b.StopTimer()
}
