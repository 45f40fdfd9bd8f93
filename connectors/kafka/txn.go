package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamctl/streamctl/connectors"
)

// Txn is the Kafka transaction of a run whose state scales out over
// consumer groups (api.md section 11): one transactional producer client
// that carries, between two commits of the run, the outputs handlers of
// exactly-once sources produce (SinkFor, Send), the changelog records of
// partitioned caches (produced by Commit) and the offsets of its sources
// (SetTransaction), committed together by Commit.
//
// Why not franz-go's GroupTransactSession: it commits the offsets of every
// record polled, while the runtime hands records to handlers from buffers
// and commits at its own quiet points; Txn commits the offsets the sources
// report (Topic.Position) with TxnOffsetCommit, fenced by the group's
// generation (KIP-447) as the session does, and leaves rebalances to the
// runtime, which commits before a partition moves.
//
// The transactional id is stable per state directory (the caller keeps it
// there): a restarted process fences its earlier incarnation and aborts
// that one's open transaction at once (InitProducerID). A lost machine's
// open transaction is aborted by the broker after
// Config.TransactionTimeout.
//
// Lifecycle: NewTxn; SetTransaction on each source; Run of a source starts
// the client (start); handlers produce; the runtime calls Commit at each of
// its commits; Close aborts what is open. Safe for concurrent use.
type Txn struct {
	id  string
	cfg Config // connection and TransactionTimeout
	log *slog.Logger

	startMu  sync.Mutex
	cl       *kgo.Client
	startErr error

	// mu is held for reading while a record is handed to the client and
	// for writing by Commit: no record enters a transaction being ended.
	mu       sync.RWMutex
	produced atomic.Bool // a record was produced in this transaction

	errMu    sync.Mutex
	firstErr error                    // first failed produce of this transaction
	next     map[TopicPartition]int64 // changelog offsets reached in this transaction

	srcMu   sync.Mutex
	sources []*Topic
	sinks   map[*Topic]connectors.Sink
	ids     map[string][16]byte
	manual  sync.Map // topic -> true: produced to chosen partitions (changelogs)
	closed  bool
}

// TopicPartition names one partition of a topic.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// NewTxn returns the transaction with the transactional id id on the
// brokers of cfg (its Brokers, SASL, TLS, DialTimeout and
// TransactionTimeout count). It connects to nothing until a source runs or
// a record is produced. log receives what does not fail the run.
func NewTxn(id string, cfg Config, log *slog.Logger) (*Txn, error) {
	cfg = cfg.withDefaults()
	if id == "" {
		return nil, errors.New("kafka: transactional id must be set")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Txn{id: id, cfg: cfg, log: log, sinks: map[*Topic]connectors.Sink{}, ids: map[string][16]byte{}}, nil
}

// ID returns the transactional id.
func (x *Txn) ID() string { return x.id }

// SetTransaction makes t, a group consumer, a source of the transaction x:
// its offsets are committed in x (TxnOffsetCommit) and not by Committed. Call
// it before Run. t must be on the same brokers as x.
func (t *Topic) SetTransaction(x *Txn) error {
	if t.cfg.Group == "" {
		return fmt.Errorf("kafka: topic %q: a transaction needs a group", t.cfg.Topic)
	}
	if !sameCluster(t.cfg, x.cfg) {
		return fmt.Errorf("kafka: topic %q: its brokers differ from the other transactional topics' (%v): one process keeps one transaction", t.cfg.Topic, x.cfg.Brokers)
	}
	t.cmu.Lock()
	defer t.cmu.Unlock()
	if t.txn == x {
		return nil
	}
	if t.txn != nil {
		return fmt.Errorf("kafka: topic %q is in another transaction", t.cfg.Topic)
	}
	t.txn = x
	x.srcMu.Lock()
	x.sources = append(x.sources, t)
	x.srcMu.Unlock()
	return nil
}

// Transaction returns the transaction t's offsets commit in, nil when it
// has none.
func (t *Topic) Transaction() *Txn {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	return t.txn
}

// Config returns t's configuration, defaults applied.
func (t *Topic) Config() Config { return t.cfg }

// ExactlyOnce reports whether t was configured exactly-once: handlers of
// it produce their Kafka outputs in its transaction.
func (t *Topic) ExactlyOnce() bool { return t.cfg.ExactlyOnce }

// sameCluster reports whether a and b reach the same brokers the same way.
func sameCluster(a, b Config) bool {
	return slices.Equal(a.Brokers, b.Brokers) && a.SASL == b.SASL && a.TLS == b.TLS
}

// start creates the client once: it fences an earlier incarnation of the
// transactional id (InitProducerID aborts its open transaction) and begins
// the first transaction.
func (x *Txn) start(ctx context.Context) error {
	x.startMu.Lock()
	defer x.startMu.Unlock()
	if x.startErr != nil || x.cl != nil {
		return x.startErr
	}
	cl, err := newClient(x.cfg, txnOpts(x.cfg, x.id, txnPartitioner{x: x, def: kgo.UniformBytesPartitioner(64<<10, true, true, nil)})...)
	if err != nil {
		return err
	}
	ictx, cancel := context.WithTimeout(ctx, 3*x.cfg.DialTimeout)
	defer cancel()
	if _, _, err := cl.ProducerID(ictx); err != nil {
		cl.Close()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		x.startErr = fmt.Errorf("kafka: init transactional id %q: %w", x.id, err)
		return x.startErr
	}
	if err := cl.BeginTransaction(); err != nil {
		cl.Close()
		x.startErr = fmt.Errorf("kafka: begin transaction: %w", err)
		return x.startErr
	}
	x.cl = cl
	return nil
}

// produce hands r to the transaction; promise is called once with the
// broker's answer (or the failure to start).
func (x *Txn) produce(ctx context.Context, r *kgo.Record, promise func(*kgo.Record, error)) {
	if err := x.start(ctx); err != nil {
		promise(r, err)
		return
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	x.produced.Store(true)
	x.cl.Produce(ctx, r, func(r *kgo.Record, err error) {
		if err != nil {
			err = fmt.Errorf("kafka: produce to %q: %w", r.Topic, err)
			x.setErr(err)
		}
		promise(r, err)
	})
}

func (x *Txn) setErr(err error) {
	x.errMu.Lock()
	if x.firstErr == nil {
		x.firstErr = err
	}
	x.errMu.Unlock()
}

// take returns and resets the first error and the changelog offsets.
func (x *Txn) take() (error, map[TopicPartition]int64) {
	x.errMu.Lock()
	defer x.errMu.Unlock()
	err, next := x.firstErr, x.next
	x.firstErr, x.next = nil, nil
	return err, next
}

// CommitResult is what Commit did.
type CommitResult struct {
	// Committed reports that the outputs, changelog records and offsets of
	// the transaction are in Kafka (or that there was nothing to commit).
	Committed bool
	// Next holds, per changelog partition written in the transaction, the
	// offset after its last record.
	Next map[TopicPartition]int64
}

// ChangelogFunc produces one changelog record: key and value are copied;
// a nil value is a tombstone.
type ChangelogFunc func(topic string, partition int32, key, value []byte)

// Commit ends the transaction and begins the next: fill (when not nil)
// produces the changelog records; then every record is flushed, the offsets
// of each source's partitions (Topic.Position) are committed to its group in
// the transaction (TxnOffsetCommit, fenced by the group generation) and the
// transaction commits. A transaction that produced nothing commits the
// offsets directly. No record enters the transaction meanwhile. On error the
// transaction is aborted and Committed is false, except when beginning the
// next transaction fails after a commit. It blocks for the broker round
// trips.
func (x *Txn) Commit(ctx context.Context, fill func(ChangelogFunc) error) (CommitResult, error) {
	if err := x.start(ctx); err != nil {
		return CommitResult{}, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if fill != nil {
		if err := fill(x.produceChangelog); err != nil {
			return CommitResult{}, x.abort(ctx, err)
		}
	}
	if err := x.cl.Flush(ctx); err != nil {
		return CommitResult{}, x.abort(ctx, fmt.Errorf("kafka: flush transaction: %w", err))
	}
	err, next := x.take()
	if err != nil {
		return CommitResult{}, x.abort(ctx, err)
	}
	x.srcMu.Lock()
	sources := slices.Clone(x.sources)
	x.srcMu.Unlock()
	if !x.produced.Swap(false) {
		for _, t := range sources {
			if err := t.commitOwned(ctx); err != nil {
				// Nothing was produced: the offsets carry no state, and
				// the state directory holds the positions.
				x.log.Warn("kafka commit offsets", "group", t.cfg.Group, "err", err)
			}
		}
		return CommitResult{Committed: true}, nil
	}
	for _, t := range sources {
		if err := x.commitOffsets(ctx, t); err != nil {
			return CommitResult{}, x.abort(ctx, err)
		}
	}
	if err := x.cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return CommitResult{}, x.abort(ctx, fmt.Errorf("kafka: commit transaction: %w", err))
	}
	res := CommitResult{Committed: true, Next: next}
	if err := x.cl.BeginTransaction(); err != nil {
		return res, fmt.Errorf("kafka: begin transaction: %w", err)
	}
	return res, nil
}

// produceChangelog is the ChangelogFunc of Commit (x.mu held).
func (x *Txn) produceChangelog(topic string, partition int32, key, value []byte) {
	if _, ok := x.manual.Load(topic); !ok {
		x.manual.Store(topic, true) // before franz-go partitions the topic's first record
	}
	r := &kgo.Record{Topic: topic, Partition: partition, Key: slices.Clone(key)}
	if value != nil {
		r.Value = slices.Clone(value)
	}
	x.produced.Store(true)
	x.cl.Produce(context.Background(), r, func(r *kgo.Record, err error) {
		if err != nil {
			x.setErr(fmt.Errorf("kafka: produce to changelog %q: %w", r.Topic, err))
			return
		}
		tp := TopicPartition{r.Topic, r.Partition}
		x.errMu.Lock()
		if x.next == nil {
			x.next = map[TopicPartition]int64{}
		}
		x.next[tp] = max(x.next[tp], r.Offset+1)
		x.errMu.Unlock()
	})
}

// abort aborts the transaction after cause and begins the next one.
func (x *Txn) abort(ctx context.Context, cause error) error {
	x.produced.Store(false)
	var errs []error
	if err := x.cl.AbortBufferedRecords(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := x.cl.EndTransaction(ctx, kgo.TryAbort); err != nil {
		errs = append(errs, err)
	}
	x.take()
	if err := x.cl.BeginTransaction(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w; additionally, abort: %v", cause, err)
	}
	return cause
}

// commitOffsets commits the offsets of t's partitions to its group in the
// transaction: AddOffsetsToTxn, then TxnOffsetCommit with the member's
// generation, so a member the group no longer counts cannot commit. When
// the group moved to a new generation meanwhile and this member is still in
// it (the same member id: a rebalance in progress, not a lost session), it
// commits again with the new generation: with cooperative rebalancing the
// partitions stay this member's until it revoked them, which waits for
// this commit.
func (x *Txn) commitOffsets(ctx context.Context, t *Topic) error {
	for {
		offsets, member, gen := t.groupOffsets()
		if len(offsets) == 0 {
			return nil
		}
		err := x.txnOffsetCommit(ctx, t, offsets, member, gen)
		if !errors.Is(err, kerr.IllegalGeneration) && !errors.Is(err, kerr.RebalanceInProgress) {
			return err
		}
		if werr := t.waitGeneration(ctx, member, gen); werr != nil {
			return fmt.Errorf("%w (%v)", err, werr)
		}
	}
}

// txnOffsetCommit sends AddOffsetsToTxn and TxnOffsetCommit for offsets.
func (x *Txn) txnOffsetCommit(ctx context.Context, t *Topic, offsets map[int32]int64, member string, gen int32) error {
	group := t.cfg.Group
	fail := func(err error) error {
		return fmt.Errorf("kafka: commit offsets of group %q in the transaction: %w", group, err)
	}
	id, epoch, err := x.cl.ProducerID(ctx)
	if err != nil {
		return fail(err)
	}
	add := kmsg.NewPtrAddOffsetsToTxnRequest()
	add.TransactionalID, add.ProducerID, add.ProducerEpoch, add.Group = x.id, id, epoch, group
	if err := retryConcurrent(ctx, func() error {
		resp, err := add.RequestWith(ctx, x.cl)
		if err != nil {
			return err
		}
		return kerr.ErrorForCode(resp.ErrorCode)
	}); err != nil {
		return fail(err)
	}
	tid, err := x.topicID(ctx, t.cfg.Topic)
	if err != nil {
		return fail(err)
	}
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = x.id, group, id, epoch
	req.Generation, req.MemberID = gen, member
	rt := kmsg.NewTxnOffsetCommitRequestTopic()
	rt.Topic, rt.TopicID = t.cfg.Topic, tid
	for _, p := range slices.Sorted(maps.Keys(offsets)) {
		rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset, rp.LeaderEpoch, rp.Metadata = p, offsets[p], -1, &req.MemberID
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	return retryConcurrent(ctx, func() error {
		resp, err := req.RequestWith(ctx, x.cl)
		if err != nil {
			return fail(err)
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					return fail(fmt.Errorf("partition %d: %w", p.Partition, err))
				}
			}
		}
		return nil
	})
}

// retryConcurrent retries fn while the broker answers that an earlier
// transaction of this id is still completing (CONCURRENT_TRANSACTIONS).
func retryConcurrent(ctx context.Context, fn func() error) error {
	for try := 1; ; try++ {
		err := fn()
		if !errors.Is(err, kerr.ConcurrentTransactions) || try == 50 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// topicID returns topic's ID (TxnOffsetCommit v6 names topics by ID).
func (x *Txn) topicID(ctx context.Context, topic string) ([16]byte, error) {
	x.srcMu.Lock()
	id, ok := x.ids[topic]
	x.srcMu.Unlock()
	if ok {
		return id, nil
	}
	meta, err := describeTopic(ctx, x.cl, topic)
	if err != nil {
		return id, err
	}
	x.srcMu.Lock()
	x.ids[topic] = meta.id
	x.srcMu.Unlock()
	return meta.id, nil
}

// Close aborts the open transaction, if it holds records, and closes the
// client; later calls of x fail with connectors.ErrClosed. Commit the state
// first. Safe to call twice.
func (x *Txn) Close(ctx context.Context) error {
	x.startMu.Lock()
	cl := x.cl
	first := !x.closed
	x.closed = true
	x.startErr = fmt.Errorf("kafka: transaction: %w", connectors.ErrClosed)
	x.startMu.Unlock()
	if cl == nil || !first {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	var err error
	if x.produced.Swap(false) {
		err = errors.Join(cl.AbortBufferedRecords(ctx), cl.EndTransaction(ctx, kgo.TryAbort))
	}
	cl.Close()
	if err != nil {
		return fmt.Errorf("kafka: abort transaction: %w", err)
	}
	return nil
}

// txnPartitioner sends changelog records to the partition they name and
// other records where franz-go's default partitioner would.
type txnPartitioner struct {
	x   *Txn
	def kgo.Partitioner
}

func (p txnPartitioner) ForTopic(topic string) kgo.TopicPartitioner {
	if _, ok := p.x.manual.Load(topic); ok {
		return kgo.ManualPartitioner().ForTopic(topic)
	}
	return p.def.ForTopic(topic)
}

// SinkFor returns the sink that produces t's records in the transaction
// (exactly-once outputs), the same one for every call with t; register
// (the runtime's AddSink) is called with it on first use and what it
// returns is kept. t must be on the transaction's brokers.
func (x *Txn) SinkFor(t *Topic, register func(connectors.Sink) connectors.Sink) (connectors.Sink, error) {
	if !sameCluster(t.cfg, x.cfg) {
		return nil, fmt.Errorf("kafka: topic %q: an exactly-once handler's Kafka sink must be on the brokers of its source (%v)", t.cfg.Topic, x.cfg.Brokers)
	}
	x.srcMu.Lock()
	defer x.srcMu.Unlock()
	s, ok := x.sinks[t]
	if !ok {
		s = register(&txnSink{t: t, x: x})
		x.sinks[t] = s
	}
	return s, nil
}

// Send produces one record to t in the transaction and waits for the
// broker's ack (topic:send from a handler of an exactly-once source).
func (x *Txn) Send(ctx context.Context, t *Topic, value, key any, headers map[string]string) error {
	kr, err := t.encode(value, key, sendHeaders(headers))
	if err != nil {
		return err
	}
	if _, err := t.producer(ctx); err != nil { // checks the topic once
		return err
	}
	kr.Topic = t.cfg.Topic
	done := make(chan error, 1)
	x.produce(ctx, kr, func(_ *kgo.Record, err error) { done <- err })
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// txnSink is a Topic's sink side inside a transaction.
type txnSink struct {
	t       *Topic
	x       *Txn
	checked atomic.Bool
}

// Write produces rec to the topic in the transaction, asynchronously;
// rec.Ack is called once the broker acknowledged it (see Topic.Write).
// The first Write checks the topic as Topic.Write does (it exists, or is
// created with Config.AutoCreate).
func (s *txnSink) Write(ctx context.Context, rec connectors.Record) error {
	kr, err := s.t.encode(rec.Value, rec.Key, headerList(&rec))
	if err == nil && !s.checked.Load() {
		if _, err = s.t.producer(ctx); err == nil {
			s.checked.Store(true)
		}
	}
	if err != nil {
		if rec.Ack != nil {
			rec.Ack(err)
		}
		return err
	}
	kr.Topic = s.t.cfg.Topic
	ack := rec.Ack
	s.x.produce(ctx, kr, func(_ *kgo.Record, err error) {
		if ack != nil {
			ack(err)
		}
	})
	return nil
}

// Flush waits for the records produced so far and returns the first
// failure of the transaction (which then aborts at the commit).
func (s *txnSink) Flush(ctx context.Context) error {
	s.x.startMu.Lock()
	cl := s.x.cl
	s.x.startMu.Unlock()
	if cl == nil {
		return nil
	}
	if err := cl.Flush(ctx); err != nil {
		return fmt.Errorf("kafka: flush %q: %w", s.t.cfg.Topic, err)
	}
	s.x.errMu.Lock()
	defer s.x.errMu.Unlock()
	return s.x.firstErr
}

// Close does nothing: the transaction is closed by its owner.
func (s *txnSink) Close(context.Context) error { return nil }

// Name returns the topic's name.
func (s *txnSink) Name() string { return s.t.Name() }

// AcksWrites reports true (connectors.Acker).
func (s *txnSink) AcksWrites() bool { return true }

var (
	_ connectors.Sink  = (*txnSink)(nil)
	_ connectors.Acker = (*txnSink)(nil)
	_ connectors.Named = (*txnSink)(nil)
)
