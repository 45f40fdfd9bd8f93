package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TableConfig configures OpenTable.
type TableConfig struct {
	// Config gives the brokers (Brokers, SASL, TLS, DialTimeout) and the
	// table's topic (Topic); the rest is ignored.
	Config Config
	// From holds, per partition, the offset after the last record the
	// local copy holds; nil or missing partitions: none.
	From map[int32]int64
	// Reset empties the local copy: its offsets are not the topic's (past
	// its end or before its start: the topic was recreated or truncated).
	Reset func() error
	// Apply applies records in topic order, and stores next (per partition,
	// the offset after the last record applied), in one atomic write.
	Apply func(recs []ChangelogRecord, next map[int32]int64) error
	// OnError is called, from the reading goroutine, when reading or
	// applying fails for good; the Table stops reading then.
	OnError func(error)
	// Logger receives what does not stop the table; nil discards.
	Logger *slog.Logger
}

// Table keeps a local copy of a compacted topic whole: a global cache
// (api.md section 11). Every process reads every partition of the topic,
// without a group, from the offsets stored with its copy, and applies the
// records in order, so all copies converge to the topic's order. Write
// produces a record and returns once the local copy holds it. Safe for
// concurrent use.
type Table struct {
	cfg   TableConfig
	topic string
	prod  *kgo.Client // produces, and asks the brokers
	cons  *kgo.Client

	mu      sync.Mutex
	next    map[int32]int64
	changed chan struct{} // closed and replaced when next moves
	err     error

	stop context.CancelFunc
	done chan struct{}
}

// OpenTable creates the topic where missing (compacted, one partition),
// brings the local copy up to the topic's end as of the call (blocking),
// then keeps applying new records in a goroutine until Close.
func OpenTable(ctx context.Context, tc TableConfig) (_ *Table, err error) {
	cfg := tc.Config.withDefaults()
	if tc.Logger == nil {
		tc.Logger = slog.New(slog.DiscardHandler)
	}
	t := &Table{cfg: tc, topic: cfg.Topic, next: map[int32]int64{}, changed: make(chan struct{}), done: make(chan struct{})}
	if t.prod, err = newClient(cfg, adminOpts()...); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			t.prod.Close()
			if t.cons != nil {
				t.cons.Close()
			}
		}
	}()
	n, err := ensureCompacted(ctx, t.prod, t.topic, 0)
	if err != nil {
		return nil, err
	}
	parts := make([]int32, n)
	for i := range parts {
		parts[i] = int32(i)
	}
	start, err := listOffsets(ctx, t.prod, t.topic, parts, earliestOffsets, 0)
	if err != nil {
		return nil, err
	}
	end, err := listOffsets(ctx, t.prod, t.topic, parts, latestOffsets, 0)
	if err != nil {
		return nil, err
	}
	from := maps.Clone(tc.From)
	for p, off := range from {
		if e, ok := end[p]; !ok || off > e || off < start[p] {
			if err := tc.Reset(); err != nil {
				return nil, err
			}
			from = nil
			break
		}
	}
	offsets := map[int32]kgo.Offset{}
	for _, p := range parts {
		off, ok := from[p]
		if !ok {
			off = start[p]
		}
		offsets[p] = kgo.NewOffset().At(off)
		t.next[p] = off
	}
	t.cons, err = newClient(cfg, readerOpts(map[string]map[int32]kgo.Offset{t.topic: offsets}, false, 250*time.Millisecond)...)
	if err != nil {
		return nil, err
	}
	caughtUp := func() bool {
		for p, e := range end {
			if t.next[p] < e {
				return false
			}
		}
		return true
	}
	for !caughtUp() {
		if err := t.poll(ctx); err != nil {
			return nil, err
		}
	}
	rctx, cancel := context.WithCancel(context.Background())
	t.stop = cancel
	go t.tail(rctx)
	return t, nil
}

// poll applies one fetch.
func (t *Table) poll(ctx context.Context) error {
	fs := t.cons.PollFetches(ctx)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ferr error
	fs.EachError(func(_ string, p int32, err error) {
		if ferr == nil && !errors.Is(err, context.Canceled) {
			ferr = fmt.Errorf("kafka: read table %q partition %d: %w", t.topic, p, err)
		}
	})
	if ferr != nil {
		return ferr
	}
	var recs []ChangelogRecord
	t.mu.Lock()
	next := maps.Clone(t.next)
	t.mu.Unlock()
	fs.EachRecord(func(r *kgo.Record) {
		recs = append(recs, ChangelogRecord{Key: r.Key, Value: r.Value})
		next[r.Partition] = r.Offset + 1
	})
	if len(recs) == 0 {
		return nil
	}
	if err := t.cfg.Apply(recs, next); err != nil {
		return err
	}
	t.mu.Lock()
	t.next = next
	close(t.changed)
	t.changed = make(chan struct{})
	t.mu.Unlock()
	return nil
}

// tail applies new records until ctx ends.
func (t *Table) tail(ctx context.Context) {
	defer close(t.done)
	for ctx.Err() == nil {
		if err := t.poll(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			t.mu.Lock()
			t.err = err
			close(t.changed)
			t.changed = make(chan struct{})
			t.mu.Unlock()
			if t.cfg.OnError != nil {
				t.cfg.OnError(err)
			}
			return
		}
	}
}

// Write produces key and value (nil: a tombstone) to the topic, waits for
// the broker's ack, then until the local copy applied the record (a later
// record of the same key from another process may have replaced it since).
func (t *Table) Write(ctx context.Context, key, value []byte) error {
	r := &kgo.Record{Topic: t.topic, Key: key, Value: value}
	if err := t.prod.ProduceSync(ctx, r).FirstErr(); err != nil {
		return fmt.Errorf("kafka: produce to %q: %w", t.topic, err)
	}
	for {
		t.mu.Lock()
		applied, err, ch := t.next[r.Partition] > r.Offset, t.err, t.changed
		t.mu.Unlock()
		switch {
		case applied:
			return nil
		case err != nil:
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Partitions returns the table's partitions, in order, and the offsets
// applied in each (for metrics).
func (t *Table) Partitions() ([]int32, map[int32]int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Sorted(maps.Keys(t.next)), maps.Clone(t.next)
}

// Close stops reading and closes the clients. Safe to call twice.
func (t *Table) Close() {
	if t.stop == nil {
		return
	}
	t.stop()
	<-t.done
	t.stop = nil
	t.cons.Close()
	t.prod.Close()
}
