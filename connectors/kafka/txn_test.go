package kafka

import (
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
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

// TestRestoreResumes: a restore cut short (its partition revoked: ctx
// cancelled between batches) leaves the copy consistent with its offset,
// and the next restore from that offset applies exactly the rest.
func TestRestoreResumes(t *testing.T) {
	t.Parallel()
	c := newBroker(t, kfake.SeedTopics(1, "log"))
	n := 20_000 // ~2 MB of random values: more than one fetch
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic("log"))
	must(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for i := range n {
		v := make([]byte, 100)
		rand.Read(v) // incompressible
		cl.Produce(ctx, &kgo.Record{Key: []byte(strconv.Itoa(i)), Value: v}, nil)
	}
	must(t, cl.Flush(ctx))
	cl.Close()

	logs := NewChangelogs(Config{Brokers: c.ListenAddrs()}, nil)
	defer logs.Close()
	copyOf := map[string]int{}
	offset := int64(-1)
	target := func(stop context.CancelFunc) RestoreTarget {
		return RestoreTarget{Topic: "log", From: offset, Reset: func() error { clear(copyOf); return nil },
			Apply: func(recs []ChangelogRecord, next int64) error {
				for _, r := range recs {
					copyOf[string(r.Key)]++
				}
				offset = next
				if stop != nil {
					stop() // revoked after the first batch
				}
				return nil
			}}
	}
	rctx, revoke := context.WithCancel(ctx)
	if err := logs.Restore(rctx, 0, []RestoreTarget{target(revoke)}); err != context.Canceled {
		t.Fatalf("cut short: %v", err)
	}
	first := len(copyOf)
	if first == 0 || first == n || offset != int64(first) {
		t.Fatalf("after the first batch: %d keys, offset %d", first, offset)
	}
	must(t, logs.Restore(ctx, 0, []RestoreTarget{target(nil)}))
	if len(copyOf) != n || offset != int64(n) {
		t.Fatalf("resumed: %d keys of %d, offset %d", len(copyOf), n, offset)
	}
	for k, times := range copyOf {
		if times != 1 {
			t.Fatalf("key %s applied %d times", k, times)
		}
	}
	t.Logf("%d records in the first batch", first)
}

// TestTable: two local copies of a table (two processes); a write returns
// once the writer's copy holds it, the other copy follows, and a copy
// whose offsets the topic does not have is reset and read again.
func TestTable(t *testing.T) {
	t.Parallel()
	c := newBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	type copyOf struct {
		mu   sync.Mutex
		kv   map[string]string
		next map[int32]int64
	}
	open := func(from map[int32]int64) (*Table, *copyOf) {
		cp := &copyOf{kv: map[string]string{}}
		tb, err := OpenTable(ctx, TableConfig{Config: Config{Brokers: c.ListenAddrs(), Topic: "users"}, From: from,
			Reset: func() error { cp.mu.Lock(); clear(cp.kv); cp.mu.Unlock(); return nil },
			Apply: func(recs []ChangelogRecord, next map[int32]int64) error {
				cp.mu.Lock()
				defer cp.mu.Unlock()
				for _, r := range recs {
					if r.Value == nil {
						delete(cp.kv, string(r.Key))
					} else {
						cp.kv[string(r.Key)] = string(r.Value)
					}
				}
				cp.next = maps.Clone(next)
				return nil
			}})
		must(t, err)
		t.Cleanup(tb.Close)
		return tb, cp
	}
	get := func(cp *copyOf, k string) string {
		cp.mu.Lock()
		defer cp.mu.Unlock()
		return cp.kv[k]
	}
	a, ca := open(nil)
	b, cb := open(nil)
	must(t, a.Write(ctx, []byte("u1"), []byte("ann")))
	must(t, a.Write(ctx, []byte("u2"), []byte("bob")))
	must(t, b.Write(ctx, []byte("u2"), nil))
	if get(ca, "u1") != "ann" {
		t.Fatalf("the writer's copy lacks its write: %v", ca.kv)
	}
	waitFor(t, "b's copy", func() bool { return get(cb, "u1") == "ann" && get(cb, "u2") == "" })
	waitFor(t, "a's copy", func() bool { return get(ca, "u2") == "" })
	// A third copy from a's offsets reads nothing again; one from offsets
	// beyond the end is reset and reads all.
	ca.mu.Lock()
	from := maps.Clone(ca.next)
	ca.mu.Unlock()
	_, cc := open(from)
	if len(cc.kv) != 0 {
		t.Fatalf("copy from a's offsets read %v again", cc.kv)
	}
	_, cd := open(map[int32]int64{0: 99})
	if get(cd, "u1") != "ann" || len(cd.kv) != 1 {
		t.Fatalf("reset copy holds %v", cd.kv)
	}
}
