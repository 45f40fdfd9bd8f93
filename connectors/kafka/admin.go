package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Requests about topics (metadata, creation, offsets) made with kmsg, for
// changelogs and global caches: no admin dependency beyond franz-go.

// topicMeta is what a Metadata request says of one topic.
type topicMeta struct {
	id         [16]byte
	partitions int32
}

// describeTopic returns the ID and partition count of topic; an error
// wrapping ErrUnknownTopic when it does not exist.
func describeTopic(ctx context.Context, cl *kgo.Client, topic string) (topicMeta, error) {
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return topicMeta{}, fmt.Errorf("kafka: topic %q: %w", topic, err)
	}
	for _, mt := range resp.Topics {
		if mt.Topic == nil || *mt.Topic != topic {
			continue
		}
		if err := kerr.ErrorForCode(mt.ErrorCode); err != nil {
			if errors.Is(err, kerr.UnknownTopicOrPartition) {
				return topicMeta{}, &unknownTopicError{topic: topic}
			}
			return topicMeta{}, fmt.Errorf("kafka: topic %q: %w", topic, err)
		}
		return topicMeta{id: mt.TopicID, partitions: int32(len(mt.Partitions))}, nil
	}
	return topicMeta{}, &unknownTopicError{topic: topic}
}

// ensureCompacted creates topic with partitions partitions and
// cleanup.policy=compact when it does not exist (a changelog, a global
// cache's topic). An existing topic is kept; with want > 0 its partition
// count must be want. It returns the topic's partition count.
func ensureCompacted(ctx context.Context, cl *kgo.Client, topic string, want int32) (int32, error) {
	meta, err := describeTopic(ctx, cl, topic)
	if err == nil {
		if want > 0 && meta.partitions != want {
			return 0, fmt.Errorf("kafka: topic %q has %d partitions, want %d (one per partition of the input): delete it or give it %d", topic, meta.partitions, want, want)
		}
		return meta.partitions, nil
	}
	if !errors.Is(err, ErrUnknownTopic) {
		return 0, err
	}
	n := want
	if n <= 0 {
		n = 1
	}
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 30_000
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic = topic
	rt.NumPartitions = n
	rt.ReplicationFactor = -1 // the broker's default
	cfg := kmsg.NewCreateTopicsRequestTopicConfig()
	cfg.Name, cfg.Value = "cleanup.policy", kmsg.StringPtr("compact")
	rt.Configs = append(rt.Configs, cfg)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return 0, fmt.Errorf("kafka: create topic %q: %w", topic, err)
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return 0, fmt.Errorf("kafka: create topic %q: %w", topic, err)
		}
	}
	// Creation is asynchronous on a real cluster: wait until the topic's
	// metadata shows it, so producing and fetching find its leaders.
	for {
		meta, err := describeTopic(ctx, cl, topic)
		if err == nil && meta.partitions > 0 {
			return meta.partitions, nil
		}
		if err != nil && !errors.Is(err, ErrUnknownTopic) {
			return 0, err
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("kafka: create topic %q: %w", topic, ctx.Err())
		case <-time.After(50 * time.Millisecond): // poll interval
		}
	}
}

// Offsets of ListOffsets.
const (
	latestOffsets   = -1 // the end: high watermark, or last stable offset with read_committed
	earliestOffsets = -2 // the log start offset
)

// listOffsets returns, per partition of topic, the offset ListOffsets
// gives for which (latestOffsets or earliestOffsets) at isolation level
// isolation (0 read_uncommitted, 1 read_committed: the last stable offset).
func listOffsets(ctx context.Context, cl *kgo.Client, topic string, parts []int32, which int64, isolation int8) (map[int32]int64, error) {
	for try := 1; ; try++ {
		out, err := listOffsetsOnce(ctx, cl, topic, parts, which, isolation)
		var ke *kerr.Error
		if err == nil || try == 10 || !errors.As(err, &ke) || !ke.Retriable {
			return out, err
		}
		select { // a leader moving: retry after a pause
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(try) * 50 * time.Millisecond):
		}
	}
}

func listOffsetsOnce(ctx context.Context, cl *kgo.Client, topic string, parts []int32, which int64, isolation int8) (map[int32]int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.IsolationLevel = isolation
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, p := range parts {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p
		rp.Timestamp = which
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	shards := cl.RequestSharded(ctx, req)
	out := make(map[int32]int64, len(parts))
	for _, sh := range shards {
		if sh.Err != nil {
			return nil, fmt.Errorf("kafka: list offsets of %q: %w", topic, sh.Err)
		}
		resp := sh.Resp.(*kmsg.ListOffsetsResponse)
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					return nil, fmt.Errorf("kafka: list offsets of %q partition %d: %w", topic, p.Partition, err)
				}
				out[p.Partition] = p.Offset
			}
		}
	}
	for _, p := range parts {
		if _, ok := out[p]; !ok {
			return nil, fmt.Errorf("kafka: list offsets of %q: no answer for partition %d", topic, p)
		}
	}
	return out, nil
}

// newClient creates a client of cfg's brokers with extra options.
func newClient(cfg Config, extra ...kgo.Opt) (*kgo.Client, error) {
	opts, err := connOpts(cfg)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	return cl, nil
}
