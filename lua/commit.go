package lua

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors"
)

// StateCommitter is the persistent state of a run (a *state.Store): handlers
// write into its pending writes, and a commit stores them together with the
// positions of the sources they came from (api.md section 10).
type StateCommitter interface {
	// InUse reports whether the script opened the state: only then are
	// positions stored and commits made.
	InUse() bool
	// Commit stores every pending write and the positions (source key ->
	// position) in one atomic write.
	Commit(positions map[string][]byte) error
	// Discard drops the pending writes.
	Discard()
	// PendingBytes is the size of the pending writes.
	PendingBytes() int
	// Position returns a source's committed position.
	Position(key string) ([]byte, bool, error)
}

// DefaultCommitInterval is how often a run commits its state with the
// positions of its sources when no handler sets commit_interval.
const DefaultCommitInterval = time.Second

// commitPendingLimit is the size of pending writes that starts a commit
// before the interval is over, so memory stays bounded.
const commitPendingLimit = 64 << 20

// commits drives the commits of a run (api.md section 10):
//
//  1. Every commit interval (the least commit_interval of the handlers,
//     default DefaultCommitInterval), when the pending writes grow past
//     commitPendingLimit, when a positioned source asks (a Kafka partition
//     is revoked), and once at the end of the run, it takes the gate: feeds
//     hold it for reading while they hand a record to handlers, so no new
//     record enters.
//  2. It waits until every record handed to a handler is done (inflight
//     is zero): handlers drain their buffers meanwhile.
//  3. It flushes every sink, waiting for producer acks: the outputs of the
//     records reached their sinks.
//  4. It asks each positioned source for its position (after every record
//     it handed over) and commits the state with them in one write; a run
//     with a Transaction (lua/txn.go) commits through it instead, which
//     commits the Kafka transaction first.
//  5. It tells each source its position is durable (Kafka then commits the
//     group offsets), and releases the gate.
//
// A record whose step was cut short by the stop, or a failed run, leaves
// effects that its position cannot account for: the run then commits
// nothing more (tainted) and drops the pending writes at the end, so the
// next run replays from the last commit.
type commits struct {
	rt       *Runtime
	state    StateCommitter
	interval time.Duration

	gate     sync.RWMutex
	inflight atomic.Int64
	waiting  atomic.Bool   // a commit waits for inflight to reach zero
	drained  chan struct{} // signalled when inflight reaches zero while waiting
	tainted  atomic.Bool

	mu      sync.Mutex // serializes commits
	sources []positioned
	asks    chan chan error
	stop    chan struct{}
	done    chan struct{}
	closed  bool
}

// positioned is a source whose position is committed.
type positioned struct {
	src connectors.Positioned
	key string
}

// newCommits returns the commit driver of rt, or nil when the run has no
// state to commit with.
func newCommits(rt *Runtime, st StateCommitter, interval time.Duration) *commits {
	if st == nil || !st.InUse() {
		return nil
	}
	if interval <= 0 {
		interval = DefaultCommitInterval
	}
	return &commits{rt: rt, state: st, interval: interval, drained: make(chan struct{}, 1),
		asks: make(chan chan error), stop: make(chan struct{}), done: make(chan struct{})}
}

// Deferred reports whether state written now from L (a cache write, a
// window) is committed with the run's next commit rather than at once: the
// code runs in a handler and the run commits its state. Writes from the top
// level, hooks and other callbacks are durable when the call returns.
func (s *State) Deferred(L *glua.LState) bool {
	return s.rt != nil && s.rt.commits != nil && s.current(L) != nil
}

// PositionedHandler reports whether L runs a handler of a source whose
// position is committed with the state (state.save there is deferred).
func (s *State) PositionedHandler(L *glua.LState) bool {
	if !s.Deferred(L) {
		return false
	}
	in := s.current(L)
	return in.h.feed != nil && in.h.feed.positioned != nil
}

// UseState sets the run's state when no Options.State was given (a binding
// opened it at the top level). Call it from the main state before handlers
// start.
func (rt *Runtime) UseState(st StateCommitter) {
	if rt.opts.State == nil {
		rt.opts.State = st
	}
}

// Commits reports whether the run commits its state with its sources'
// positions (writes from handlers are then deferred to the commits).
func (rt *Runtime) Commits() bool { return rt.commits != nil }

// CurrentRecord returns the record the handler running in L handles, nil
// outside handlers and in flush steps. The record belongs to the runtime:
// read it, do not keep it.
func (s *State) CurrentRecord(L *glua.LState) *connectors.Record {
	if in := s.current(L); in != nil {
		return in.cur
	}
	return nil
}

// HandlerSource returns the source of the handler running in L, nil
// outside handlers.
func (s *State) HandlerSource(L *glua.LState) connectors.Source {
	if in := s.current(L); in != nil {
		return in.spec.Source
	}
	return nil
}

// resume restores the committed positions of the run's positioned sources
// and hands their commits to c. Called before the sources run.
func (c *commits) resume(feeds []*feed) error {
	if c == nil {
		return nil
	}
	for _, f := range feeds {
		p, ok := f.src.(connectors.Positioned)
		if !ok || p.PositionKey() == "" {
			continue
		}
		key := p.PositionKey()
		pos, _, err := c.state.Position(key)
		if err != nil {
			return err
		}
		if err := p.Restore(pos, c.ask); err != nil {
			return fmt.Errorf("resume %s: %w", connectors.NameOf(f.src), err)
		}
		f.positioned = p
		c.sources = append(c.sources, positioned{src: p, key: key})
	}
	return nil
}

// start runs the periodic commits until close.
func (c *commits) start() {
	if c == nil {
		return
	}
	go func() {
		defer close(c.done)
		t := time.NewTicker(c.interval)
		defer t.Stop()
		check := time.NewTicker(c.interval / 10)
		defer check.Stop()
		for {
			var reply chan error
			select {
			case <-c.stop:
				return
			case <-t.C:
			case <-check.C:
				if c.state.PendingBytes() < commitPendingLimit {
					continue
				}
			case reply = <-c.asks:
			}
			err := c.commit(c.rt.srcCtx)
			if reply != nil {
				reply <- err
			}
			if err != nil && !errors.Is(err, context.Canceled) {
				c.rt.Fail(err)
			}
		}
	}()
}

// ask is the commit function handed to positioned sources: it makes a
// commit now and waits for it (a Kafka partition being revoked).
func (c *commits) ask(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case c.asks <- reply:
	case <-c.done:
		return nil // the run ends: its final commit covers it
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// enter is called by a feed before it hands a record to n handlers; the
// returned func after.
func (c *commits) enter(n int) {
	c.gate.RLock()
	c.inflight.Add(int64(n))
}

func (c *commits) leave() { c.gate.RUnlock() }

// recordDone is called once per handler when it is done with a record
// (handled, dropped or failed).
func (c *commits) recordDone() {
	if c.inflight.Add(-1) == 0 && c.waiting.Load() {
		select {
		case c.drained <- struct{}{}:
		default:
		}
	}
}

// taint records that a record's effects cannot be committed exactly.
func (c *commits) taint() {
	if c != nil {
		c.tainted.Store(true)
	}
}

// commit makes one commit (see commits). ctx bounds the wait for handlers
// to drain: it ends with the run's sources.
func (c *commits) commit(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || !c.state.InUse() {
		return nil
	}
	c.gate.Lock()
	defer c.gate.Unlock()
	c.waiting.Store(true)
	for c.inflight.Load() > 0 {
		select {
		case <-c.drained:
		case <-ctx.Done():
			c.waiting.Store(false)
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
			// Records are also done on failure paths; recheck now and
			// then rather than trust every one of them to signal.
			if c.rt.failed() != nil {
				c.waiting.Store(false)
				return nil
			}
		}
	}
	c.waiting.Store(false)
	return c.store()
}

// store flushes the sinks and commits the state with the positions; the
// gate is held or the sources have ended.
func (c *commits) store() error {
	if c.tainted.Load() || c.rt.failed() != nil {
		return nil
	}
	if err := c.rt.flushSinks(false); err != nil {
		return fmt.Errorf("flush output before commit: %w", err)
	}
	positions := make(map[string][]byte, len(c.sources))
	for _, p := range c.sources {
		pos, err := p.src.Position()
		if err != nil {
			return fmt.Errorf("position of %s: %w", connectors.NameOf(p.src), err)
		}
		if pos != nil {
			positions[p.key] = pos
		}
	}
	if t := c.rt.transaction(); t != nil {
		if err := t.Commit(c.rt.runCtx, positions); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
	} else if err := c.state.Commit(positions); err != nil {
		return fmt.Errorf("commit state: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []error
	for _, p := range c.sources {
		if pos, ok := positions[p.key]; ok {
			if err := p.src.Committed(ctx, pos); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		// The state holds the positions; the next run resumes from them
		// whatever the group's offsets say.
		c.rt.log.Warn("commit source positions", "err", err)
	}
	return nil
}

// close stops the periodic commits and makes the final one: after every
// handler finished, unless the run failed or a record was cut short, in
// which case the pending writes are dropped.
func (c *commits) close() error {
	if c == nil {
		return nil
	}
	close(c.stop)
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if !c.state.InUse() {
		return nil
	}
	if c.tainted.Load() || c.rt.failed() != nil || c.inflight.Load() > 0 {
		c.state.Discard()
		if c.tainted.Load() {
			c.rt.log.Info("state not committed at the end: a record was interrupted; the next run handles the records since the last commit again")
		}
		return nil
	}
	return c.store()
}
