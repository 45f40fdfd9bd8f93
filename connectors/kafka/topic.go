// Package kafka connects streamctl to Kafka through franz-go: a Topic is a
// source (consuming, at-least-once with a consumer group) and a sink
// (producing); DevBroker runs an in-process Kafka-compatible broker (kfake)
// for development and tests. For state that scales out over consumer
// groups (api.md section 11): Txn (the transaction a run's commits go
// through), Changelogs (changelog topics and their restores, which a Topic
// drives through its Restorers on rebalances) and Table (the topic of a
// global cache). Plain Go: package bindings maps kafka.topic and its
// methods onto it. Only config.go turns configuration into franz-go
// options; nothing outside this package sees franz-go.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamctl/streamctl/connectors"
)

// Topic is one Kafka topic, usable as a connectors.Source and as a
// connectors.Sink, from any mix of goroutines as described per method.
//
// Clients are created lazily: one producer client on the first Write, Send
// or Flush, shared by all of them; one consumer client when Run starts.
// Before first use each checks, within Config.DialTimeout, that a broker
// answers and that the topic exists (`kafka: brokers 127.0.0.1:1
// unreachable: ...`, `kafka: topic "x" does not exist`).
//
// Consuming with a Group is at-least-once (api.md section 6):
//  1. Run emits each record with an Ack; Ack(nil) means every sink accepted
//     the record's outputs.
//  2. A partition's offset is marked only up to the last record that was
//     acknowledged together with every earlier record of that partition
//     (acks may come in any order; a gap holds the mark back).
//  3. Marked offsets are committed every commit interval (default 1s, see
//     WithCommitInterval), synchronously when a partition is revoked in a
//     rebalance, and synchronously by Close.
//  4. Ack(err) with a non-nil err marks nothing: the record and everything
//     after it in its partition stay uncommitted, so they are delivered
//     again after a restart or rebalance. Retrying, skipping (Ack(nil)) or
//     stopping is the caller's decision.
//  5. When a partition is revoked or lost, records of it that were polled
//     but not yet emitted are dropped, and late acks for it are ignored:
//     the new owner starts from the committed offset.
//
// Without a Group every partition is consumed from Config.Offset, records
// have a nil Ack and nothing is committed.
//
// A group topic in a transaction (SetTransaction) has its offsets committed
// by Txn.Commit, with what the transaction holds; one with Restorers
// (AddRestorer) pauses each newly assigned partition until its state is
// restored (see Restorer). A partition being revoked emits no more records
// while its commit runs.
type Topic struct {
	cfg      Config
	opts     topicOpts
	name     string // "kafka:" + topic
	topicAny any    // cfg.Topic, boxed once for Meta

	mu     sync.Mutex // guards closed, prod, cons, ran
	closed bool
	prod   *kgo.Client
	cons   *kgo.Client
	ran    bool

	checkMu sync.Mutex
	checked atomic.Bool

	errMu    sync.Mutex
	firstErr error // first failed produce since the last Flush

	// Consumer state, guarded by cmu; acks arrive from sink goroutines.
	cmu      sync.Mutex
	ccl      *kgo.Client               // the consumer client, once created
	parts    map[int32]*partState      // ownership: replaced on revoke, seek
	seen     map[int32]bool            // partitions polled since assignment
	seeks    map[int32]int64           // Seek requests not yet applied
	partsGen atomic.Uint64             // changes of parts and seeks: see current
	paused   bool                      // Pause called, Resume not yet
	resumed  chan struct{}             // closed by Resume; non-nil while paused
	pollStop context.CancelFunc        // wakes the poll in progress
	markBuf  map[int32]kgo.EpochOffset // reused by ack
	markAll  map[string]map[int32]kgo.EpochOffset
	hw       map[int32]int64 // per partition: the high watermark at the last fetch with records

	// Positions kept with the state (Restore; guarded by cmu): external
	// means the runtime commits offsets; pos holds, per partition, the
	// offset after the last record acknowledged together with every
	// earlier one (or the stored position); ask makes the runtime commit.
	external bool
	pos      map[int32]int64
	ask      func(context.Context) error
	owned    map[int32]bool // partitions assigned to this member (or all, without a group)
	gen      uint64         // changes with owned

	// Scale-out (rebalance.go, txn.go; guarded by cmu): the transaction
	// the offsets commit in, what restores state per partition, the
	// restores running, and an error that ends Run.
	txn       *Txn
	restorers []Restorer
	restoring map[int32]*restoreRun
	fatal     error
	closing   bool // Close is leaving the group
}

// partState tracks the records of one partition emitted and not yet
// contiguously acknowledged. A new partState replaces it when the partition
// is revoked, lost or sought: records and acks stamped with the old one are
// then discarded.
type partState struct {
	p    int32
	q    []inflight // ascending offsets; q[head:] are pending
	head int
	// next is the offset after the last record handled: acknowledged
	// contiguously (group) or handed to emit (no group); set from the
	// first fetched record when started turns true.
	next    int64
	started bool
	valid   func() bool // Record.Valid of its records (Topic.current), made once
	// validAt is Topic.partsGen + 1 when valid last found the state
	// current (0: not yet).
	validAt atomic.Uint64
	// revoking: the partition is being committed before it moves; no
	// more of its records are emitted, acks still count.
	revoking bool
}

type inflight struct {
	off   int64
	epoch int32
	acked bool
}

// NewTopic checks cfg and returns the topic. It connects to nothing: the
// clients are created by the first Run, Write, Send or Flush.
func NewTopic(cfg Config, opts ...Opt) (*Topic, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t := &Topic{
		cfg:      cfg,
		opts:     topicOpts{commitInterval: DefaultCommitInterval, pollRecords: defaultPollRecords},
		name:     "kafka:" + cfg.Topic,
		topicAny: cfg.Topic,
		parts:    make(map[int32]*partState),
		seen:     make(map[int32]bool),
		seeks:    make(map[int32]int64),
		markBuf:  make(map[int32]kgo.EpochOffset, 1),
		markAll:  make(map[string]map[int32]kgo.EpochOffset, 1),
	}
	for _, o := range opts {
		o.apply(&t.opts)
	}
	if t.opts.logger == nil {
		t.opts.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return t, nil
}

// Name returns "kafka:" + the topic's name.
func (t *Topic) Name() string { return t.name }

// AcksWrites reports true: Write returns before the broker acknowledged the
// record, and calls Record.Ack once it did (connectors.Acker).
func (t *Topic) AcksWrites() bool { return true }

// --- source ---

// Run consumes the topic and emits its records until ctx is done
// (ctx.Err()), emit fails (its error), Close is called (nil) or consuming
// fails for good (`kafka: consume "t" partition 2: ...`). Run blocks; it
// must be called at most once. franz-go fetches in its own goroutines.
//
// Each record has Value decoded by Config.Codec (a nil value, a tombstone,
// stays nil), Key by Config.KeyCodec, Time the record's timestamp, Source
// "kafka:TOPIC", Pos its offset, Raw the undecoded value, and Meta topic
// (string), partition and offset (int64) and headers (map[string]any of
// string values; read-only, as it may be shared). A value or key that
// cannot be decoded gives a record with Err a *connectors.BadInputError
// ("kafka:t:17: partition 2 offset 17: invalid JSON ...", "...: key: ..."
// for the key) and the value's bytes in Raw. Records of one partition are
// emitted in offset order; Ack is described on Topic.
//
// Each poll's records are stamped with the partition ownership current when
// the poll returned, then rebalances are allowed again at once
// (BlockRebalanceOnPoll + AllowRebalance as a fence, never held while
// emitting: slow sinks must not get this member kicked from the group).
// Before each record is emitted, Run waits while paused and drops the
// record if its partition was revoked or sought since.
func (t *Topic) Run(ctx context.Context, emit func(context.Context, connectors.Record) error) error {
	cl, err := t.consumer(ctx)
	if err != nil {
		return err
	}
	group := t.cfg.Group != ""
	type batch struct {
		ps   *partState
		recs []*kgo.Record
	}
	var batches []batch
	for {
		if err := t.waitResumed(ctx); err != nil {
			return err
		}
		pctx, stop := context.WithCancel(ctx)
		t.beforePoll(cl, stop)
		fs := cl.PollRecords(pctx, t.opts.pollRecords)
		t.cmu.Lock()
		t.pollStop = nil
		t.cmu.Unlock()
		stop()
		if fs.IsClientClosed() {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return nil
		}
		if ctx.Err() != nil {
			cl.AllowRebalance()
			return ctx.Err()
		}
		if err := t.fetchErr(fs); err != nil {
			cl.AllowRebalance()
			return err
		}
		if err := t.fatalErr(); err != nil {
			cl.AllowRebalance()
			return err
		}
		// Stamp while rebalances are blocked: nothing can be revoked
		// between the poll and here.
		batches = batches[:0]
		t.cmu.Lock()
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			if p.Topic != t.cfg.Topic {
				return
			}
			if len(p.Records) == 0 {
				return
			}
			if t.hw == nil {
				t.hw = map[int32]int64{}
			}
			t.hw[p.Partition] = p.HighWatermark
			t.seen[p.Partition] = true
			if _, pending := t.seeks[p.Partition]; pending {
				return // from the old position; the seek applies next poll
			}
			ps := t.part(p.Partition)
			if !ps.started {
				ps.next, ps.started = p.Records[0].Offset, true
			}
			batches = append(batches, batch{ps, p.Records})
		})
		t.cmu.Unlock()
		cl.AllowRebalance()

		for _, b := range batches {
			ps := b.ps
			for _, r := range b.recs {
				if err := t.waitResumed(ctx); err != nil {
					return err
				}
				var ack func(error)
				var ok bool
				if ps, ack, ok = t.register(ps, r, group); !ok {
					break // revoked or sought since the poll
				}
				rec := t.record(r, ack)
				if ps.valid == nil {
					ps.valid = t.current(ps)
				}
				rec.Valid = ps.valid
				if err := emit(ctx, rec); err != nil {
					return err
				}
			}
		}
	}
}

// consumer creates the consumer client and checks the brokers and topic.
func (t *Topic) consumer(ctx context.Context) (*kgo.Client, error) {
	if x := t.Transaction(); x != nil {
		// Fence an earlier incarnation of this process before joining.
		if err := x.start(ctx); err != nil {
			return nil, err
		}
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, fmt.Errorf("kafka: topic %q: %w", t.cfg.Topic, connectors.ErrClosed)
	}
	if t.ran {
		t.mu.Unlock()
		return nil, fmt.Errorf("kafka: topic %q: Run called twice", t.cfg.Topic)
	}
	t.ran = true
	t.cmu.Lock()
	external, restores := t.external, len(t.restorers) > 0
	t.cmu.Unlock()
	opts, err := kgoOpts(t.cfg, &consumerHooks{
		commitInterval: t.opts.commitInterval,
		external:       external,
		restores:       restores,
		assigned:       t.assigned,
		revoked:        t.revoked,
		lost:           t.lost,
		adjust:         t.adjust,
	})
	if err != nil {
		t.mu.Unlock()
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, t.opts.extra...)...)
	if err != nil {
		t.mu.Unlock()
		return nil, fmt.Errorf("kafka: topic %q: %w", t.cfg.Topic, err)
	}
	t.cons = cl
	t.cmu.Lock()
	t.ccl = cl
	if t.paused {
		cl.PauseFetchTopics(t.cfg.Topic)
	}
	t.cmu.Unlock()
	t.mu.Unlock()
	if err := t.check(ctx, cl); err != nil {
		return nil, err
	}
	return cl, nil
}

// beforePoll applies pending seeks and publishes the poll's cancel func.
// Seeks apply only to partitions that were polled: franz-go's SetOffsets
// skips others. The rest stay pending; the next records of them are dropped
// (they come from the old position) and the seek applies on the next poll,
// or when the group assigns the partition (adjust).
func (t *Topic) beforePoll(cl *kgo.Client, stop context.CancelFunc) {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	t.pollStop = stop
	var set map[int32]kgo.EpochOffset
	for p, off := range t.seeks {
		if !t.seen[p] {
			continue
		}
		if set == nil {
			set = make(map[int32]kgo.EpochOffset)
		}
		set[p] = kgo.EpochOffset{Epoch: -1, Offset: off}
		delete(t.seeks, p)
		delete(t.parts, p)
		t.partsGen.Add(1)
	}
	if set != nil {
		// Under cmu, so no revoke callback runs concurrently (franz-go's
		// advice for SetOffsets in a group).
		cl.SetOffsets(map[string]map[int32]kgo.EpochOffset{t.cfg.Topic: set})
	}
}

// fetchErr returns the first error of fs that ends Run, logging the rest.
// Following franz-go's classes of fetch errors: context errors are our
// wake-ups, data loss is informational, lost group sessions (a broker
// restart) and retriable Kafka errors are retried by franz-go and logged
// here; non-retriable Kafka errors (authorization) and untyped ones (corrupt
// batches) end Run.
func (t *Topic) fetchErr(fs kgo.Fetches) error {
	var first error
	fs.EachError(func(topic string, p int32, err error) {
		var (
			dl *kgo.ErrDataLoss
			gs *kgo.ErrGroupSession
			ke *kerr.Error
		)
		switch {
		case first != nil:
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
			errors.Is(err, kgo.ErrClientClosed):
		case errors.As(err, &dl):
			t.opts.logger.Warn("kafka data loss", "topic", topic, "partition", p, "err", err)
		case errors.As(err, &gs) && !(errors.As(err, &ke) && !ke.Retriable):
			t.opts.logger.Warn("kafka group session lost, rejoining", "topic", t.cfg.Topic, "group", t.cfg.Group, "err", err)
		case errors.As(err, &ke) && ke.Retriable:
			t.opts.logger.Warn("kafka fetch retried", "topic", topic, "partition", p, "err", err)
		case topic == "":
			first = fmt.Errorf("kafka: consume %q: %w", t.cfg.Topic, err)
		default:
			first = fmt.Errorf("kafka: consume %q partition %d: %w", topic, p, err)
		}
	})
	return first
}

// part returns the current state of partition p, creating it. Under cmu.
func (t *Topic) part(p int32) *partState {
	ps := t.parts[p]
	if ps == nil {
		ps = &partState{p: p}
		t.parts[p] = ps
		t.partsGen.Add(1)
	}
	return ps
}

// Lag returns, per partition this consumer reads, how many records are not
// handled yet: the partition's high watermark at the last fetch minus the
// next offset to handle, so records fetched and waiting in the client or in
// a handler's buffer count. With a group a record is handled once acked
// (every sink accepted its outputs); without one, once handed to emit. This
// is the consumer lag metric. Safe for concurrent use; nil before the
// first fetch.
func (t *Topic) Lag() map[int32]int64 {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	var out map[int32]int64
	for p, hw := range t.hw {
		ps := t.parts[p]
		if ps == nil || !ps.started {
			continue // revoked or sought: not read from here now
		}
		next := ps.next
		if ps.head < len(ps.q) {
			next = ps.q[ps.head].off
		}
		if out == nil {
			out = make(map[int32]int64, len(t.hw))
		}
		out[p] = max(0, hw-next)
	}
	return out
}

// current returns the Record.Valid of records emitted for ps: false once a
// seek (or a revoke) replaced the partition's state, so records the runtime
// had buffered are dropped instead of handled before the sought ones. It
// is called for every record: every change of parts and seeks bumps
// partsGen (under cmu), so while partsGen is where it was when ps was last
// found current, ps still is, and the answer needs no lock.
func (t *Topic) current(ps *partState) func() bool {
	return func() bool {
		if ps.validAt.Load() == t.partsGen.Load()+1 {
			return true
		}
		t.cmu.Lock()
		defer t.cmu.Unlock()
		_, pending := t.seeks[ps.p]
		ok := !pending && t.parts[ps.p] == ps
		if ok {
			ps.validAt.Store(t.partsGen.Load() + 1)
		}
		return ok
	}
}

// register records r as in flight just before it is emitted and returns its
// Ack (nil without a group). ok is false when the partition was revoked or
// sought since the poll: r and the rest of its batch are dropped. The
// returned state replaces ps (it changes if franz-go went back in the
// partition, which Seek aside only an offset reset does).
func (t *Topic) register(ps *partState, r *kgo.Record, group bool) (_ *partState, _ func(error), ok bool) {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	if _, pending := t.seeks[ps.p]; pending || t.parts[ps.p] != ps || ps.revoking {
		return ps, nil, false
	}
	if !group {
		ps.next = r.Offset + 1
		return ps, nil, true
	}
	if n := len(ps.q); n > ps.head && ps.q[n-1].off >= r.Offset {
		// Offsets went back: start afresh so acks stay ordered.
		ps = &partState{p: ps.p, next: r.Offset, started: true}
		t.parts[ps.p] = ps
		t.partsGen.Add(1)
	}
	ps.q = append(ps.q, inflight{off: r.Offset, epoch: r.LeaderEpoch})
	off := r.Offset
	return ps, func(err error) {
		if err == nil {
			t.ack(ps, off)
		}
	}, true
}

// ack acknowledges offset off of ps and marks the partition's offset after
// the last contiguously acknowledged record.
func (t *Topic) ack(ps *partState, off int64) {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	if t.parts[ps.p] != ps {
		return // revoked, lost or sought: too late
	}
	pend := ps.q[ps.head:]
	i := sort.Search(len(pend), func(i int) bool { return pend[i].off >= off })
	if i == len(pend) || pend[i].off != off || pend[i].acked {
		return // already acknowledged
	}
	pend[i].acked = true
	if i != 0 {
		return // an earlier record is still pending
	}
	var last inflight
	for ps.head < len(ps.q) && ps.q[ps.head].acked {
		last = ps.q[ps.head]
		ps.head++
	}
	ps.next = last.off + 1
	if t.external {
		t.pos[ps.p] = last.off + 1
		switch {
		case ps.head == len(ps.q):
			ps.q, ps.head = ps.q[:0], 0
		case ps.head >= 1024 && 2*ps.head >= len(ps.q):
			n := copy(ps.q, ps.q[ps.head:])
			ps.q, ps.head = ps.q[:n], 0
		}
		return
	}
	switch {
	case ps.head == len(ps.q):
		ps.q, ps.head = ps.q[:0], 0
	case ps.head >= 1024 && 2*ps.head >= len(ps.q):
		n := copy(ps.q, ps.q[ps.head:])
		ps.q, ps.head = ps.q[:n], 0
	}
	clear(t.markBuf)
	t.markBuf[ps.p] = kgo.EpochOffset{Epoch: last.epoch, Offset: last.off + 1}
	t.markAll[t.cfg.Topic] = t.markBuf
	t.ccl.MarkCommitOffsets(t.markAll)
}

// recordMeta is the metadata of a consumed record (Record.Fields): topic,
// partition, offset and headers, in one allocation instead of a map.
type recordMeta struct {
	topic     any // the topic's name, boxed once (Topic.topicAny)
	partition int32
	offset    int64
	headers   map[string]any
}

// recordMetaKeys are the names of recordMeta's fields, sorted.
var recordMetaKeys = []string{"headers", "offset", "partition", "topic"}

func (m *recordMeta) MetaField(k string) (any, bool) {
	switch k {
	case "topic":
		return m.topic, true
	case "partition":
		return int64(m.partition), true
	case "offset":
		return m.offset, true
	case "headers":
		return m.headers, true
	}
	return nil, false
}

func (m *recordMeta) MetaKeys(dst []string) []string { return append(dst, recordMetaKeys...) }

// noHeaders is the headers field of records without headers: shared, so
// read-only like all metadata.
var noHeaders = map[string]any{}

// record converts r.
func (t *Topic) record(r *kgo.Record, ack func(error)) connectors.Record {
	headers := noHeaders
	if len(r.Headers) > 0 {
		headers = make(map[string]any, len(r.Headers))
		for _, h := range r.Headers {
			headers[h.Key] = string(h.Value)
		}
	}
	rec := connectors.Record{
		Time:   r.Timestamp,
		Source: t.name,
		Pos:    r.Offset,
		Raw:    r.Value,
		Ack:    ack,
		Fields: &recordMeta{topic: t.topicAny, partition: r.Partition, offset: r.Offset, headers: headers},
	}
	bad := func(what string, err error) connectors.Record {
		rec.Value = nil // the key stays when it decoded: dead letters keep it
		rec.Err = &connectors.BadInputError{
			Source: t.name,
			Pos:    r.Offset,
			Err:    fmt.Errorf("partition %d offset %d: %s%w", r.Partition, r.Offset, what, err),
		}
		return rec
	}
	// The key first: it stays when only the value is bad (dead letters
	// keep it).
	if r.Key != nil {
		k, err := t.cfg.KeyCodec.Unmarshal(r.Key)
		if err != nil {
			return bad("key: ", err)
		}
		rec.Key = k
	}
	if r.Value != nil {
		v, err := t.cfg.Codec.Unmarshal(r.Value)
		if err != nil {
			return bad("", err)
		}
		rec.Value = v
	}
	return rec
}

// Pause stops fetching the topic and stops Run before its next emit,
// keeping the position. Safe for concurrent use, also before Run; a no-op
// when already paused.
func (t *Topic) Pause() {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	if !t.paused {
		t.paused = true
		t.resumed = make(chan struct{})
	}
	if t.ccl != nil {
		t.ccl.PauseFetchTopics(t.cfg.Topic)
	}
}

// Resume continues after Pause. Safe for concurrent use.
func (t *Topic) Resume() {
	t.cmu.Lock()
	defer t.cmu.Unlock()
	if t.paused {
		t.paused = false
		close(t.resumed)
		t.resumed = nil
	}
	if t.ccl != nil {
		t.ccl.ResumeFetchTopics(t.cfg.Topic)
	}
}

// waitResumed blocks while paused, until Resume (nil) or ctx is done.
func (t *Topic) waitResumed(ctx context.Context) error {
	t.cmu.Lock()
	ch := t.resumed
	t.cmu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-ch:
		return t.waitResumed(ctx)
	}
}

// Seek moves consumption of the given partitions to the given offsets
// (partition -> offset of the next record to read). Safe for concurrent
// use, also before Run; it does not block. Records of those partitions
// already polled but not yet emitted are dropped, their pending acks are
// ignored, and the next poll reads from the new offsets.
//
// With a group, only partitions assigned to this member move; a seek of
// another partition waits until it is assigned here. Committed offsets never
// go back (franz-go marks do not rewind): after seeking back, the group's
// commit stays where it was until consumption passes it again.
func (t *Topic) Seek(offsets map[int32]int64) {
	if len(offsets) == 0 {
		return
	}
	t.cmu.Lock()
	defer t.cmu.Unlock()
	for p, off := range offsets {
		t.seeks[p] = off
		delete(t.parts, p)
		t.partsGen.Add(1)
	}
	if t.pollStop != nil {
		t.pollStop()
	}
}

// check asks a broker for the topic's metadata once per Topic, within
// DialTimeout: unreachable brokers and a missing topic fail here, early and
// with a clear message, instead of franz-go retrying forever.
func (t *Topic) check(ctx context.Context, cl *kgo.Client) error {
	if t.checked.Load() {
		return nil
	}
	t.checkMu.Lock()
	defer t.checkMu.Unlock()
	if t.checked.Load() {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, t.cfg.DialTimeout)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(t.cfg.Topic)
	req.Topics = append(req.Topics, rt)
	req.AllowAutoTopicCreation = t.cfg.AutoCreate
	// franz-go may not give up on a broker that accepts the connection but
	// never answers until its own request timeout: bound the wait here.
	type answer struct {
		resp *kmsg.MetadataResponse
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := req.RequestWith(cctx, cl)
		done <- answer{resp, err}
	}()
	var resp *kmsg.MetadataResponse
	var err error
	select {
	case a := <-done:
		resp, err = a.resp, a.err
	case <-cctx.Done():
		err = cctx.Err()
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %v", t.cfg.DialTimeout)
		}
		return &unreachableError{brokers: t.cfg.Brokers, err: err}
	}
	for _, mt := range resp.Topics {
		if mt.Topic == nil || *mt.Topic != t.cfg.Topic {
			continue
		}
		err := kerr.ErrorForCode(mt.ErrorCode)
		switch {
		case err == nil:
		case errors.Is(err, kerr.UnknownTopicOrPartition):
			return &unknownTopicError{topic: t.cfg.Topic, autoCreate: t.cfg.AutoCreate}
		case t.cfg.AutoCreate && errors.Is(err, kerr.LeaderNotAvailable):
			// just created
		default:
			return fmt.Errorf("kafka: topic %q: %w", t.cfg.Topic, err)
		}
	}
	t.checked.Store(true)
	return nil
}

// Close flushes the producer, commits the acknowledged offsets of a group
// consumer synchronously, leaves the group and closes both clients. Call it
// after Run returned. It is safe to call after a failed Run or Write and
// more than once (later calls return nil); Write, Send and Run fail after
// it with connectors.ErrClosed.
func (t *Topic) Close(ctx context.Context) error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	prod, cons := t.prod, t.cons
	t.mu.Unlock()
	var errs []error
	if prod != nil {
		if err := t.Flush(ctx); err != nil {
			errs = append(errs, err)
		}
		prod.Close()
	}
	t.cmu.Lock()
	external := t.external
	t.cmu.Unlock()
	if cons != nil {
		if t.cfg.Group != "" && t.checked.Load() && !external {
			if err := cons.CommitMarkedOffsets(ctx); err != nil {
				errs = append(errs, fmt.Errorf("kafka: commit offsets of group %q: %w", t.cfg.Group, err))
			}
		}
		// Leaving the group revokes everything: revoked commits acks
		// that arrived since; restorers keep what they hold.
		t.cmu.Lock()
		t.closing = true
		t.cmu.Unlock()
		cons.CloseAllowingRebalance()
		t.stopRestores(nil)
	}
	return errors.Join(errs...)
}

var (
	_ connectors.Source = (*Topic)(nil)
	_ connectors.Sink   = (*Topic)(nil)
	_ connectors.Pauser = (*Topic)(nil)
	_ connectors.Named  = (*Topic)(nil)
	_ connectors.Acker  = (*Topic)(nil)

	_ connectors.Positioned  = (*Topic)(nil)
	_ connectors.Partitioned = (*Topic)(nil)
)
