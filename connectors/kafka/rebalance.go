package kafka

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Restorer keeps state per partition of a group topic: the shards of the
// partitioned caches read from it (api.md section 11). The Topic drives it
// through the group's rebalances:
//
//  1. When the group assigns partitions, fetching them is paused.
//  2. Once the group's offset of a new partition is known, and so stable
//     (a transaction that committed it has completed: franz-go fetches
//     offsets with KIP-447's RequireStable), Restore(ctx, p) runs in a
//     goroutine of its own while the other partitions keep flowing. When
//     every Restorer returned nil, p is fetched and its records handled.
//  3. When p is revoked or lost, a running Restore is cancelled (ctx) and
//     waited for. After the commit that precedes a revocation (and at once
//     for a loss) Release(parts, keep) is called: keep is true when the
//     topic is closing (the process stops and keeps its local copies for
//     its next run), false when another member takes the partitions.
//
// An error of Restore other than its ctx's ends Run with it.
type Restorer interface {
	Restore(ctx context.Context, partition int32) error
	Release(partitions []int32, keep bool)
}

// restoreRun is one partition's restore.
type restoreRun struct {
	started bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// AddRestorer adds r to the restorers of t's partitions. Call it before
// Run.
func (t *Topic) AddRestorer(r Restorer) {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	t.restorers = append(t.restorers, r)
}

// pauseForRestore pauses fetching newly assigned partitions until they are
// restored. Under cmu.
func (t *Topic) pauseForRestore(parts []int32) {
	if len(t.restorers) == 0 || len(parts) == 0 || t.ccl == nil {
		return
	}
	t.ccl.PauseFetchPartitions(map[string][]int32{t.cfg.Topic: parts})
	if t.restoring == nil {
		t.restoring = map[int32]*restoreRun{}
	}
	for _, p := range parts {
		if old := t.restoring[p]; old != nil && old.cancel != nil {
			old.cancel()
		}
		t.restoring[p] = &restoreRun{done: make(chan struct{})}
	}
}

// startRestores starts the restores of partitions paused by
// pauseForRestore, now that their offsets are known. Under cmu.
func (t *Topic) startRestores(offsets map[int32]kgo.Offset) {
	for p := range offsets {
		run := t.restoring[p]
		if run == nil || run.started {
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		run.started, run.cancel = true, cancel
		go t.runRestore(ctx, p, run, slices.Clone(t.restorers))
	}
}

// runRestore restores p and resumes fetching it, unless it was revoked
// meanwhile.
func (t *Topic) runRestore(ctx context.Context, p int32, run *restoreRun, restorers []Restorer) {
	defer close(run.done)
	defer run.cancel()
	var err error
	for _, r := range restorers {
		if err = r.Restore(ctx, p); err != nil {
			break
		}
	}
	t.cmu.Lock()
	current := t.restoring[p] == run
	if current {
		delete(t.restoring, p)
	}
	cl := t.ccl
	t.cmu.Unlock()
	switch {
	case !current || ctx.Err() != nil:
		// Revoked or closing: the partition is not this member's now.
	case err != nil:
		t.failRun(fmt.Errorf("kafka: restore state of %q partition %d: %w", t.cfg.Topic, p, err))
	default:
		cl.ResumeFetchPartitions(map[string][]int32{t.cfg.Topic: {p}})
	}
}

// stopRestores cancels the restores of parts (all of them for nil) and
// waits until they returned.
func (t *Topic) stopRestores(parts []int32) {
	t.cmu.Lock()
	var wait []*restoreRun
	for p, run := range t.restoring {
		if parts != nil && !slices.Contains(parts, p) {
			continue
		}
		delete(t.restoring, p)
		if run.started {
			run.cancel()
			wait = append(wait, run)
		}
	}
	t.cmu.Unlock()
	for _, run := range wait {
		<-run.done
	}
}

// release tells the restorers that parts are no longer this member's.
func (t *Topic) release(_ *kgo.Client, parts []int32) {
	t.cmu.Lock()
	keep, rs := t.closing, slices.Clone(t.restorers)
	t.cmu.Unlock()
	if len(parts) == 0 {
		return
	}
	for _, r := range rs {
		r.Release(parts, keep)
	}
}

// failRun makes Run return err (the first one) and wakes its poll.
func (t *Topic) failRun(err error) {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	if t.fatal == nil {
		t.fatal = err
	}
	if t.pollStop != nil {
		t.pollStop()
	}
}

// fatalErr returns the error that ends Run, if any.
func (t *Topic) fatalErr() error {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	return t.fatal
}

// groupOffsets returns the positions of the partitions this member owns,
// its member id and its generation: what a transaction commits.
func (t *Topic) groupOffsets() (map[int32]int64, string, int32) {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	offsets := map[int32]int64{}
	for p, off := range t.pos {
		if t.owned[p] {
			offsets[p] = off
		}
	}
	if t.ccl == nil {
		return nil, "", -1
	}
	member, gen := t.ccl.GroupMetadata()
	return offsets, member, gen
}

// waitGeneration waits until the group gives this member (still member) a
// generation other than gen, within the group's rebalance timeout; an error
// when the member left the group (its session was lost) or ctx ends.
func (t *Topic) waitGeneration(ctx context.Context, member string, gen int32) error {
	deadline := time.Now().Add(time.Minute) // franz-go's default rebalance timeout
	for {
		t.cmu.Lock()
		cl := t.ccl
		t.cmu.Unlock()
		m, g := cl.GroupMetadata()
		switch {
		case m == member && g != gen && g >= 0:
			return nil
		case m != member && m != "":
			return fmt.Errorf("this member left group %q (now %s)", t.cfg.Group, m)
		case time.Now().After(deadline):
			return fmt.Errorf("group %q did not reach a new generation within a minute", t.cfg.Group)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond): // poll interval
		}
	}
}
