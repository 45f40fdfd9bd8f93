package kafka

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// groupCommitted returns the offsets group committed for topic's
// partitions 0..n-1 (stable: pending transactions are waited out).
func groupCommitted(t testing.TB, c *kfake.Cluster, group, topic string, n int32) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group, req.RequireStable = group, true
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic = topic
	for p := range n {
		rt.Partitions = append(rt.Partitions, p)
	}
	req.Topics = append(req.Topics, rt)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			out[rp.Partition] = rp.Offset
		}
	}
	return out
}

// readCommitted reads every committed record of topic's partition p.
func readCommitted(t testing.TB, c *kfake.Cluster, topic string, p int32, want int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {p: kgo.NewOffset().AtStart()}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var out []*kgo.Record
	for len(out) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records of %s/%d", len(out), want, topic, p)
		}
		out = append(out, fs.Records()...)
	}
	return out
}

// TestTxnCommit: records of a transactional group source are handled, the
// changelog records the fill produces and the input offsets commit in one
// transaction, and a restore of the changelog applies exactly those.
func TestTxnCommit(t *testing.T) {
	t.Parallel()
	c := newBroker(t, kfake.SeedTopics(3, "in"))
	for p := range int32(3) {
		produceTo(t, c, "in", p, "a", "b", "c")
	}
	tp := newTopic(t, c, "in", func(cfg *Config) { cfg.Group = "g" })
	must(t, tp.Restore(nil, func(context.Context) error { return nil }))
	x, err := NewTxn("test-txn", tp.cfg, nil)
	must(t, err)
	t.Cleanup(func() { x.Close(context.Background()) })
	must(t, tp.SetTransaction(x))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	logs := NewChangelogs(tp.cfg, nil)
	defer logs.Close()
	changelog := ChangelogTopic("g", "counts")
	must(t, logs.Ensure(ctx, changelog, "in"))

	cons := startConsumer(t, tp, nil)
	for _, r := range cons.collect(t, 9) {
		r.Ack(nil)
	}
	waitFor(t, "positions", func() bool {
		pos, _ := tp.Position()
		return string(pos) == `{"0":3,"1":3,"2":3}`
	})
	res, err := x.Commit(ctx, func(produce ChangelogFunc) error {
		for p := range int32(3) {
			produce(changelog, p, []byte("k"+strconv.Itoa(int(p))), []byte("v"))
			produce(changelog, p, []byte("gone"), nil)
		}
		return nil
	})
	must(t, err)
	if !res.Committed || len(res.Next) != 3 || res.Next[TopicPartition{changelog, 1}] != 2 {
		t.Fatalf("commit result %+v", res)
	}
	if got := groupCommitted(t, c, "g", "in", 3); !maps.Equal(got, map[int32]int64{0: 3, 1: 3, 2: 3}) {
		t.Fatalf("group offsets %v", got)
	}
	if recs := readCommitted(t, c, changelog, 2, 2); string(recs[0].Key) != "k2" || recs[1].Value != nil {
		t.Fatalf("changelog %q=%q %q=%q", recs[0].Key, recs[0].Value, recs[1].Key, recs[1].Value)
	}

	// A restore from nothing applies both records and reaches the end
	// (the commit marker included); one from beyond the end resets first.
	var applied []string
	var next int64
	resets := 0
	target := RestoreTarget{Topic: changelog, From: -1,
		Reset: func() error { resets++; return nil },
		Apply: func(recs []ChangelogRecord, n int64) error {
			for _, r := range recs {
				applied = append(applied, fmt.Sprintf("%s=%s", r.Key, r.Value))
			}
			next = n
			return nil
		}}
	must(t, logs.Restore(ctx, 0, []RestoreTarget{target}))
	if !slices.Equal(applied, []string{"k0=v", "gone="}) || next != 3 || resets != 1 {
		t.Fatalf("restore applied %v up to %d, %d resets", applied, next, resets)
	}
	applied = nil
	target.From = 3
	must(t, logs.Restore(ctx, 0, []RestoreTarget{target}))
	target.From = 99
	must(t, logs.Restore(ctx, 0, []RestoreTarget{target}))
	if len(applied) != 2 || resets != 2 {
		t.Fatalf("up to date: applied %v; beyond the end: %d resets", applied, resets)
	}
}

// TestRestoreWaitsForOpenTransaction: a transaction left open in a
// changelog partition (a lost process) hides the records committed after
// it; a restore waits until the broker aborts it, then applies every
// committed record and none of the aborted ones.
func TestRestoreWaitsForOpenTransaction(t *testing.T) {
	t.Parallel()
	c := newBroker(t, kfake.SeedTopics(1, "log"))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	txnClient := func(id string) *kgo.Client {
		cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.TransactionalID(id),
			kgo.TransactionTimeout(time.Second), kgo.DefaultProduceTopic("log"))
		must(t, err)
		t.Cleanup(cl.Close)
		must(t, cl.BeginTransaction())
		return cl
	}
	lost := txnClient("lost")
	must(t, lost.ProduceSync(ctx, &kgo.Record{Key: []byte("x"), Value: []byte("aborted")}).FirstErr())
	live := txnClient("live")
	must(t, live.ProduceSync(ctx, &kgo.Record{Key: []byte("y"), Value: []byte("committed")}).FirstErr())
	must(t, live.EndTransaction(ctx, kgo.TryCommit))

	logs := NewChangelogs(Config{Brokers: c.ListenAddrs()}, nil)
	defer logs.Close()
	var applied []string
	start := time.Now()
	must(t, logs.Restore(ctx, 0, []RestoreTarget{{Topic: "log", From: -1, Reset: func() error { return nil },
		Apply: func(recs []ChangelogRecord, _ int64) error {
			for _, r := range recs {
				applied = append(applied, string(r.Value))
			}
			return nil
		}}}))
	if !slices.Equal(applied, []string{"committed"}) {
		t.Fatalf("applied %v", applied)
	}
	t.Logf("restored after %v", time.Since(start).Round(time.Millisecond))
}

// waitFor polls cond until it holds, failing at the deadline.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: gave up after %v", what, testTimeout)
		}
		time.Sleep(10 * time.Millisecond) // poll interval
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
