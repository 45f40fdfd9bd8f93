package kafka

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Changelogs
//
// A partitioned cache's committed changes go to a compacted changelog
// topic (ChangelogTopic), partition for partition with its input; a
// process that takes over an input partition restores its shard from the
// changelog partition before handling its records (Restore). The records
// are produced by a Txn; Changelogs creates the topics and reads them.

// ChangelogTopic returns the changelog topic of the partitioned cache
// cache read from a topic of group: "<group>-<cache>-changelog", as Kafka
// Streams names its changelogs.
func ChangelogTopic(group, cache string) string { return group + "-" + cache + "-changelog" }

// ChangelogRecord is one record of a changelog: Key and Value as stored in
// the local copy (state's key and entry encodings); a nil Value is a
// tombstone (a deleted key).
type ChangelogRecord struct {
	Key, Value []byte
}

// RestoreTarget is the local copy of one changelog partition.
type RestoreTarget struct {
	// Topic is the changelog topic.
	Topic string
	// From is the offset up to which the local copy holds the changelog
	// (the offset after the last record applied), -1 when it has none.
	From int64
	// Reset empties the local copy (and forgets its offset): it has no
	// offset, or one the changelog does not have (past its end, or before
	// its start: the topic was recreated or truncated).
	Reset func() error
	// Apply applies records in changelog order and stores next, the offset
	// after them, in one atomic write.
	Apply func(recs []ChangelogRecord, next int64) error
	// Progress, when set, is told after each batch how many records were
	// applied so far and how many offsets are left to read.
	Progress func(applied, remaining int64)
}

// Changelogs reads the changelog topics of the partitioned caches of one
// run and creates them where missing. Safe for concurrent use.
type Changelogs struct {
	cfg Config
	log *slog.Logger

	mu    sync.Mutex
	admin *kgo.Client
	ok    map[string]bool // topics known to exist with the right partitions
}

// NewChangelogs returns changelog access on the brokers of cfg (its Brokers,
// SASL, TLS and DialTimeout count). It connects to nothing until used.
func NewChangelogs(cfg Config, log *slog.Logger) *Changelogs {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Changelogs{cfg: cfg.withDefaults(), log: log, ok: map[string]bool{}}
}

// client returns the admin client, creating it once.
func (c *Changelogs) client() (*kgo.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.admin == nil {
		cl, err := newClient(c.cfg)
		if err != nil {
			return nil, err
		}
		c.admin = cl
	}
	return c.admin, nil
}

// Ensure creates the changelog topic, compacted, with as many partitions
// as input, where it is missing, and checks an existing one has as many.
// Once it succeeded for a topic it does nothing.
func (c *Changelogs) Ensure(ctx context.Context, changelog, input string) error {
	c.mu.Lock()
	done := c.ok[changelog]
	c.mu.Unlock()
	if done {
		return nil
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	meta, err := describeTopic(ctx, cl, input)
	if err != nil {
		return err
	}
	if _, err := ensureCompacted(ctx, cl, changelog, meta.partitions); err != nil {
		return err
	}
	c.mu.Lock()
	c.ok[changelog] = true
	c.mu.Unlock()
	return nil
}

// Close closes the admin client. Restores must have returned.
func (c *Changelogs) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.admin != nil {
		c.admin.Close()
		c.admin = nil
	}
}

// restoring is one target's progress in Restore.
type restoring struct {
	RestoreTarget
	from, end int64 // read [from, end)
	next      int64 // the offset after the last record seen
	applied   int64
}

// Restore brings the local copies of partition p of the targets' changelogs
// up to date, in its own client, blocking until done or ctx ends:
//
//  1. A copy without an offset, or with one outside the changelog's
//     [start, end], is emptied (Reset) and read from the start.
//  2. The end is the high watermark taken now. Restore waits until the last
//     stable offset reaches it: a transaction left open by a lost process
//     hides the records committed after it until the broker aborts it
//     (its transaction timeout).
//  3. It reads [from, end) with read_committed, applying each fetched
//     batch with the offset after it (Apply), so a cancelled or crashed
//     restore leaves the copy consistent, to be continued later.
//
// On ctx's end it returns ctx.Err() between two batches.
func (c *Changelogs) Restore(ctx context.Context, p int32, targets []RestoreTarget) error {
	admin, err := c.client()
	if err != nil {
		return err
	}
	var active []*restoring
	for _, tg := range targets {
		parts := []int32{p}
		start, err := listOffsets(ctx, admin, tg.Topic, parts, earliestOffsets, 0)
		if err != nil {
			return err
		}
		end, err := listOffsets(ctx, admin, tg.Topic, parts, latestOffsets, 0)
		if err != nil {
			return err
		}
		r := &restoring{RestoreTarget: tg, from: tg.From, end: end[p]}
		if r.from < 0 || r.from > r.end || r.from < start[p] {
			if err := tg.Reset(); err != nil {
				return err
			}
			r.from = start[p]
		}
		r.next = r.from
		if tg.Progress != nil {
			tg.Progress(0, r.end-r.from)
		}
		if r.from < r.end {
			active = append(active, r)
		}
	}
	if len(active) == 0 {
		return nil
	}
	for _, r := range active {
		if err := c.waitStable(ctx, admin, r.Topic, p, r.end); err != nil {
			return err
		}
	}
	offsets := map[string]map[int32]kgo.Offset{}
	byTopic := map[string]*restoring{}
	for _, r := range active {
		offsets[r.Topic] = map[int32]kgo.Offset{p: kgo.NewOffset().At(r.from)}
		byTopic[r.Topic] = r
	}
	cl, err := newClient(c.cfg, readerOpts(offsets, true, 250*time.Millisecond)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	empty := 0
	for remaining := len(active); remaining > 0; {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		fs := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ferr error
		fs.EachError(func(topic string, _ int32, err error) {
			if ferr == nil && pctx.Err() == nil {
				ferr = fmt.Errorf("kafka: restore from %q partition %d: %w", topic, p, err)
			}
		})
		if ferr != nil {
			return ferr
		}
		batches := map[*restoring][]ChangelogRecord{}
		fs.EachRecord(func(rec *kgo.Record) {
			r := byTopic[rec.Topic]
			if r == nil || rec.Offset >= r.end || rec.Offset < r.next {
				return // beyond what this restore reads
			}
			r.next = rec.Offset + 1
			if !rec.Attrs.IsControl() {
				batches[r] = append(batches[r], ChangelogRecord{Key: rec.Key, Value: rec.Value})
			}
		})
		if fs.NumRecords() == 0 {
			// Records up to end are all readable (step 2): two empty
			// polls mean the rest of the range was compacted away.
			if empty++; empty < 2 {
				continue
			}
			for _, r := range active {
				r.next = r.end
			}
		} else {
			empty = 0
		}
		remaining = 0
		for _, r := range active {
			if recs, moved := batches[r]; moved || r.next == r.end {
				if err := r.Apply(recs, r.next); err != nil {
					return err
				}
				r.applied += int64(len(recs))
			}
			if r.Progress != nil {
				r.Progress(r.applied, r.end-r.next)
			}
			if r.next < r.end {
				remaining++
			}
		}
		active = activeOnly(active)
	}
	return nil
}

// activeOnly drops finished targets.
func activeOnly(rs []*restoring) []*restoring {
	out := rs[:0]
	for _, r := range rs {
		if r.next < r.end {
			out = append(out, r)
		}
	}
	return out
}

// waitStable waits until the last stable offset of topic's partition p
// reaches end: every transaction with records before end has completed.
func (c *Changelogs) waitStable(ctx context.Context, admin *kgo.Client, topic string, p int32, end int64) error {
	began := time.Now()
	logged := false
	for delay := 20 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		lso, err := listOffsets(ctx, admin, topic, []int32{p}, latestOffsets, 1)
		if err != nil {
			return err
		}
		if lso[p] >= end {
			return nil
		}
		if !logged && time.Since(began) > time.Second {
			logged = true
			c.log.Info("restore waits for an open transaction to end (a lost process's, aborted after its transaction timeout)",
				"topic", topic, "partition", p, "stable", lso[p], "end", end)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay): // poll interval
		}
	}
}
