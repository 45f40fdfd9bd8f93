package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/codec"
)

// testTimeout bounds every wait in these tests.
const testTimeout = 30 * time.Second

// newBroker starts kfake in-process on a free 127.0.0.1 port with one node
// and the given topics of 3 partitions; t.Cleanup closes it.
func newBroker(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	opts = append([]kfake.Opt{kfake.NumBrokers(1), kfake.DefaultNumPartitions(3)}, opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// fastGroup makes rebalances quick in tests.
var fastGroup = withKgo(
	kgo.HeartbeatInterval(100*time.Millisecond),
	kgo.FetchMaxWait(200*time.Millisecond),
)

func mustCodec(t testing.TB, name string) codec.Codec {
	t.Helper()
	c, err := codec.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newTopic returns a Topic on c's brokers; edit adjusts the config. Closed
// by t.Cleanup.
func newTopic(t testing.TB, c *kfake.Cluster, topic string, edit func(*Config), opts ...Opt) *Topic {
	t.Helper()
	cfg := Config{Brokers: c.ListenAddrs(), Topic: topic}
	if edit != nil {
		edit(&cfg)
	}
	tp, err := NewTopic(cfg, append([]Opt{fastGroup}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tp.Close(context.Background()) })
	return tp
}

// produceTo writes the values to partition p of topic with a plain client.
func produceTo(t testing.TB, c *kfake.Cluster, topic string, p int32, values ...string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	rs := make([]*kgo.Record, len(values))
	for i, v := range values {
		rs[i] = &kgo.Record{Topic: topic, Partition: p, Value: []byte(v)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// consumer runs tp.Run in a goroutine; records arrive on recs.
type consumer struct {
	recs   chan connectors.Record
	cancel context.CancelFunc
	done   chan error
	// block, when set, is called by emit before handing the record over.
	block func(connectors.Record)
}

func startConsumer(t testing.TB, tp *Topic, block func(connectors.Record)) *consumer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &consumer{recs: make(chan connectors.Record, 1<<16), cancel: cancel, done: make(chan error, 1), block: block}
	go func() {
		c.done <- tp.Run(ctx, func(ctx context.Context, r connectors.Record) error {
			if c.block != nil {
				c.block(r)
			}
			select {
			case c.recs <- r:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	t.Cleanup(func() { c.stop(t) })
	return c
}

// stop cancels Run and waits for it.
func (c *consumer) stop(t testing.TB) {
	t.Helper()
	c.cancel()
	select {
	case err := <-c.done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
		c.done <- nil // later stops return at once
	case <-time.After(testTimeout):
		t.Fatal("Run did not return after cancel")
	}
}

// collect receives n records or fails at the deadline.
func (c *consumer) collect(t testing.TB, n int) []connectors.Record {
	t.Helper()
	var out []connectors.Record
	deadline := time.After(testTimeout)
	for len(out) < n {
		select {
		case r := <-c.recs:
			out = append(out, r)
		case err := <-c.done:
			c.done <- err
			t.Fatalf("Run returned %v after %d of %d records", err, len(out), n)
		case <-deadline:
			t.Fatalf("got %d of %d records before the deadline", len(out), n)
		}
	}
	return out
}

// none checks that no record arrives for d (an absence check, not a wait).
func (c *consumer) none(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case r := <-c.recs:
		t.Fatalf("unexpected record %v at %v", r.Value, r.Where())
	case <-time.After(d):
	}
}

// key identifies a record by partition and offset.
func key(r connectors.Record) string {
	return fmt.Sprintf("%d/%d", meta(r, "partition"), meta(r, "offset"))
}

// ackSet collects acknowledgements safely.
type ackSet struct {
	mu sync.Mutex
	n  int
}

func (a *ackSet) add() {
	a.mu.Lock()
	a.n++
	a.mu.Unlock()
}

// meta returns the metadata field k of r.
func meta(r connectors.Record, k string) any {
	v, _ := r.MetaField(k)
	return v
}
