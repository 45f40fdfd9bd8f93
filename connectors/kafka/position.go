package kafka

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/streamctl/streamctl/connectors"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Positions kept with the state (connectors.Positioned): when a job keeps
// state, the runtime stores each partition's next offset with it and
// commits the group's offsets itself, after the state (api.md section 10).

// PositionKey implements connectors.Positioned: "kafka:GROUP:TOPIC", or ""
// without a group (nothing to resume).
func (t *Topic) PositionKey() string {
	if t.cfg.Group == "" {
		return ""
	}
	return "kafka:" + t.cfg.Group + ":" + t.cfg.Topic
}

// Restore implements connectors.Positioned: pos holds the offsets stored
// with the state by an earlier run (JSON {"PARTITION": next offset}), which
// win over group offsets that are behind them when partitions are assigned.
// From then on offsets are committed only by Committed (no autocommit), and
// a revocation calls commit and waits for it. Call it before Run.
func (t *Topic) Restore(pos []byte, commit func(context.Context) error) error {
	m := map[int32]int64{}
	if len(pos) > 0 {
		var raw map[string]int64
		if err := json.Unmarshal(pos, &raw); err != nil {
			return fmt.Errorf("kafka: topic %q: stored position %q: %w", t.cfg.Topic, pos, err)
		}
		for k, off := range raw {
			p, err := strconv.ParseInt(k, 10, 32)
			if err != nil || off < 0 {
				return fmt.Errorf("kafka: topic %q: stored position %q: bad partition or offset", t.cfg.Topic, pos)
			}
			m[int32(p)] = off
		}
	}
	t.cmu.Lock()
	defer t.cmu.Unlock()
	t.external, t.pos, t.ask = true, m, commit
	return nil
}

// Emitted implements connectors.Positioned; positions come from acks.
func (t *Topic) Emitted(*connectors.Record) {}

// Position implements connectors.Positioned: per partition, the offset
// after the last record acknowledged together with every earlier one, or
// the stored offset for partitions without one since.
func (t *Topic) Position() ([]byte, error) {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	if len(t.pos) == 0 {
		return nil, nil
	}
	raw := make(map[string]int64, len(t.pos))
	for p, off := range t.pos {
		raw[strconv.Itoa(int(p))] = off
	}
	return json.Marshal(raw)
}

// Committed implements connectors.Positioned: it commits the offsets of pos
// for the partitions this member owns to the group, synchronously. A
// transactional topic (SetTransaction) committed them in the transaction.
func (t *Topic) Committed(ctx context.Context, _ []byte) error {
	if t.Transaction() != nil {
		return nil
	}
	return t.commitOwned(ctx)
}

// commitOwned commits the positions of the partitions this member owns to
// the group, synchronously.
func (t *Topic) commitOwned(ctx context.Context) error {
	t.cmu.Lock()
	cl := t.ccl
	offsets := map[int32]kgo.EpochOffset{}
	for p, off := range t.pos {
		if t.owned[p] {
			offsets[p] = kgo.EpochOffset{Epoch: -1, Offset: off}
		}
	}
	t.cmu.Unlock()
	if cl == nil || len(offsets) == 0 {
		return nil
	}
	var cerr error
	cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{t.cfg.Topic: offsets},
		func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			if err != nil {
				cerr = err
				return
			}
			for _, rt := range resp.Topics {
				for _, rp := range rt.Partitions {
					if err := kerr.ErrorForCode(rp.ErrorCode); err != nil && cerr == nil {
						cerr = fmt.Errorf("partition %d: %w", rp.Partition, err)
					}
				}
			}
		})
	if cerr != nil {
		return fmt.Errorf("kafka: commit offsets of group %q: %w", t.cfg.Group, cerr)
	}
	return nil
}

// Partitions implements connectors.Partitioned: the partitions assigned to
// this member, with a generation that changes with them.
func (t *Topic) Partitions() ([]int32, uint64) {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	ps := make([]int32, 0, len(t.owned))
	for p := range t.owned {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps, t.gen
}
