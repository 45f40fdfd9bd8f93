// Command kafkatool prepares and checks the Kafka rows of
// scripts/bench/run.sh against a running broker (streamctl dev-broker):
//
//	kafkatool load -topic in -partitions 3 -n 200000   # create, fill with n records
//	kafkatool create -topic out -partitions 3          # create an empty topic
//	kafkatool verify -topic out -n 200000              # print "count digest"
//
// load writes n records of 100 bytes keyed over 64 keys ("k0".."k63");
// verify reads a topic from the start until it holds n records (or 30 s
// pass) and prints their count and an order-independent digest of keys and
// values, so two programs' outputs compare with one string.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: kafkatool load|create|verify [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	brokers := fs.String("brokers", "127.0.0.1:9092", "seed brokers, comma-separated")
	topic := fs.String("topic", "in", "topic")
	partitions := fs.Int("partitions", 3, "partitions of a created topic")
	n := fs.Int("n", 200000, "records")
	_ = fs.Parse(os.Args[2:])
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(*brokers, ",")...), kgo.DefaultProduceTopic(*topic),
		kgo.ConsumeTopics(*topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err == nil {
		defer cl.Close()
		ctx := context.Background()
		switch os.Args[1] {
		case "create":
			err = create(ctx, cl, *topic, *partitions)
		case "load":
			if err = create(ctx, cl, *topic, *partitions); err == nil {
				err = load(ctx, cl, *n)
			}
		case "verify":
			err = verify(ctx, cl, *n)
		default:
			err = fmt.Errorf("unknown command %q", os.Args[1])
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kafkatool:", err)
		os.Exit(1)
	}
}

func create(ctx context.Context, cl *kgo.Client, topic string, partitions int) error {
	req := kmsg.NewPtrCreateTopicsRequest()
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic, t.NumPartitions, t.ReplicationFactor = topic, int32(partitions), 1
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create %s: %w", t.Topic, err)
		}
	}
	return nil
}

func load(ctx context.Context, cl *kgo.Client, n int) error {
	var perr error
	for i := range n {
		r := &kgo.Record{Key: fmt.Appendf(nil, "k%d", i%64), Value: fmt.Appendf(make([]byte, 0, 100), "%0100d", i)}
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				perr = err
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	return perr
}

func verify(ctx context.Context, cl *kgo.Client, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var count int
	var digest uint64
	for count < n && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			h := fnv.New64a()
			h.Write(r.Key)
			h.Write([]byte{0})
			h.Write(r.Value)
			digest += h.Sum64()
			count++
		})
	}
	fmt.Printf("%d %016x\n", count, digest)
	return nil
}
