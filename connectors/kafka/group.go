package kafka

// The group's rebalance callbacks of a Topic: franz-go calls them when
// partitions are assigned, revoked or lost, and before fetching from the
// offsets of newly assigned partitions.

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
)

// drop forgets partitions this member no longer owns.
func (t *Topic) drop(m map[string][]int32) {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	for _, p := range m[t.cfg.Topic] {
		delete(t.parts, p)
		t.partsGen.Add(1)
		delete(t.seen, p)
		delete(t.hw, p)
		if t.owned[p] {
			delete(t.owned, p)
			t.gen++
		}
	}
}

// assigned is OnPartitionsAssigned: the partitions are this member's now.
func (t *Topic) assigned(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	if t.owned == nil {
		t.owned = map[int32]bool{}
	}
	for _, p := range m[t.cfg.Topic] {
		t.owned[p] = true
	}
	t.gen++
	t.pauseForRestore(m[t.cfg.Topic])
}

// revoked is OnPartitionsRevoked: commit what was acknowledged before the
// partitions go to another member, then forget them. When the runtime
// commits (Restore), it makes a commit of the state with the positions,
// which commits the offsets too, and the revocation waits for it: records
// already handed to handlers are finished first, and no more records of
// the partitions are emitted meanwhile. Restores of the partitions are
// stopped first; restorers release them after the commit.
func (t *Topic) revoked(ctx context.Context, cl *kgo.Client, m map[string][]int32) {
	parts := m[t.cfg.Topic]
	if len(parts) == 0 && t.Transaction() != nil {
		// The end of a cooperative session that revokes nothing: a commit
		// would wait for one in progress, which may wait for the group's
		// next generation, which waits for this callback.
		return
	}
	t.stopRestores(parts)
	t.cmu.Lock()
	ask := t.ask
	for _, p := range parts {
		if ps := t.parts[p]; ps != nil {
			ps.revoking = true
		}
	}
	t.cmu.Unlock()
	if ask != nil {
		if err := ask(ctx); err != nil {
			t.opts.logger.Warn("kafka commit on revoke failed", "topic", t.cfg.Topic, "group", t.cfg.Group, "err", err)
		}
		t.release(cl, parts)
		t.drop(m)
		return
	}
	t.drop(m)
	if err := cl.CommitMarkedOffsets(ctx); err != nil {
		t.opts.logger.Warn("kafka commit on revoke failed", "topic", t.cfg.Topic, "group", t.cfg.Group, "err", err)
	}
}

// lost is OnPartitionsLost: the partitions are gone and commits would fail.
// A transactional source ends Run: the effects of its records since the
// last commit (outputs in the open transaction, state) cannot be committed
// any more, and the new owner handles the records again; a restart resumes
// from the last commit.
func (t *Topic) lost(_ context.Context, cl *kgo.Client, m map[string][]int32) {
	parts := m[t.cfg.Topic]
	t.stopRestores(parts)
	if t.Transaction() != nil && len(parts) > 0 {
		t.failRun(fmt.Errorf("kafka: group %q: this member lost partitions %v of %q (it missed the session timeout); restart it to resume from the last commit", t.cfg.Group, parts, t.cfg.Topic))
	}
	t.release(cl, parts)
	t.drop(m)
}

// adjust is AdjustFetchOffsetsFn: a pending Seek wins over the committed
// offset of a partition being assigned; else a position stored with the
// state (Restore) wins over a group offset that is behind it.
func (t *Topic) adjust(_ context.Context, offsets map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	for p, o := range offsets[t.cfg.Topic] {
		if off, ok := t.seeks[p]; ok {
			offsets[t.cfg.Topic][p] = kgo.NewOffset().At(off)
			delete(t.seeks, p)
			delete(t.parts, p)
			t.partsGen.Add(1)
			continue
		}
		eff := o.EpochOffset().Offset
		if stored, ok := t.pos[p]; ok && t.external && eff < stored {
			offsets[t.cfg.Topic][p] = kgo.NewOffset().At(stored)
			eff = stored
		}
		if t.external && eff >= 0 {
			// Where the partition resumes is its position until a record
			// is acknowledged: a commit before then must not move the
			// group's offset back to an older stored one.
			t.pos[p] = eff
		}
	}
	t.startRestores(offsets[t.cfg.Topic])
	return offsets, nil
}
