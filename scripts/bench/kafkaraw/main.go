// Command kafkaraw is the plain franz-go program the Kafka row of
// scripts/bench/run.sh compares `streamctl run scripts/bench/kafka.lua`
// with: a consumer group member that reads n records of one topic,
// produces each value with its key to another topic, marks an input for
// commit once its output is acknowledged, commits the marks and exits. It
// is what a Go programmer would write for the job, timed as a whole
// process like streamctl.
//
//	kafkaraw -brokers 127.0.0.1:9092 -in in -out out -group g -n 200000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	brokers := flag.String("brokers", "127.0.0.1:9092", "seed brokers, comma-separated")
	in := flag.String("in", "in", "topic to consume")
	out := flag.String("out", "out", "topic to produce to")
	group := flag.String("group", "kafkaraw", "consumer group")
	n := flag.Int("n", 200000, "records to move")
	flag.Parse()
	if err := run(strings.Split(*brokers, ","), *in, *out, *group, *n); err != nil {
		fmt.Fprintln(os.Stderr, "kafkaraw:", err)
		os.Exit(1)
	}
}

func run(brokers []string, in, out, group string, n int) error {
	cons, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(in), kgo.ConsumerGroup(group),
		kgo.AutoCommitMarks(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return err
	}
	defer cons.Close()
	prod, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic(out))
	if err != nil {
		return err
	}
	defer prod.Close()
	ctx := context.Background()
	var acked atomic.Int64
	var failed atomic.Value
	done := make(chan struct{})
	for polled := 0; polled < n; {
		fs := cons.PollRecords(ctx, 5000)
		if err := fs.Err(); err != nil {
			return err
		}
		fs.EachRecord(func(r *kgo.Record) {
			if polled == n {
				return
			}
			polled++
			prod.Produce(ctx, &kgo.Record{Key: r.Key, Value: r.Value}, func(_ *kgo.Record, err error) {
				if err != nil {
					failed.Store(err)
				}
				cons.MarkCommitRecords(r)
				if acked.Add(1) == int64(n) {
					close(done)
				}
			})
		})
	}
	<-done
	if err, _ := failed.Load().(error); err != nil {
		return err
	}
	return cons.CommitMarkedOffsets(ctx)
}
