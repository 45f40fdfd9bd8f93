package state

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"
)

// Windows
//
// A Windower groups the records of a stream into event-time windows per key
// and aggregates them, with the semantics of Kafka Streams (api.md §7). It
// is plain Go; the Lua binding (`window.tumbling{...}` etc.) converts
// records and calls Add per record, CloseIdle from a ticker and CloseAll
// when a finite input ends.
//
// Kinds (times are event times; sizes, hops and gaps are WindowConfig's):
//
//   - Tumbling: [start, start+Size) with start a multiple of Size since the
//     Unix epoch; every record is in exactly one window. End is exclusive.
//   - Hopping: every [start, start+Size) with start a multiple of Hop that
//     contains the record's time, so a record is in about Size/Hop windows.
//   - Sliding: for every record at time t, the window [t-Size, t], both ends
//     included (the Slipstream cookbook: a record at t-Size still counts),
//     holding the buffered records of the key whose times fall in it,
//     including ones that arrived out of order before. One result per
//     record, emitted at once whatever Emit says; records arriving later
//     never revise an emitted result. Records stay buffered (in the store)
//     until the watermark makes them useless: a record at time r is evicted
//     once r < watermark - Size.
//   - Session: per key, records whose times are at most Gap apart form one
//     session; a record within Gap of two sessions merges them (Merge of the
//     accumulators, earlier session first, then Add of the record). Start
//     and End of the result are the first and last event times.
//
// Watermark = the greatest event time seen by the Windower (across keys)
// minus Grace. A window closes when the watermark passes its last instant:
// tumbling/hopping [s, e) when watermark >= e, a session when watermark >
// last event + Gap, a sliding window [t-Size, t] when watermark > t. The
// watermark is advanced by a record before the record is assigned, as in
// Kafka Streams. A record is late when every window it belongs to is already
// closed: tumbling/hopping when watermark >= (end of its latest window),
// sliding when t < watermark, session when the session it would form or
// extend (after merging open sessions within Gap) has last event + Gap <
// watermark. A late record is not aggregated and changes nothing; Add
// reports it (the binding sends it to `late` or counts it).
//
// Emit: EmitFinal outputs a window's result once, when it closes; EmitUpdate
// outputs it after every change (a hopping record gives one result per
// window it updates, a session record one result for the merged session)
// and nothing at close. Closed windows are forgotten in both modes.
//
// Window persistence
//
// All state is kept in memory and written to the WindowStore under keys
// that start with Name:
//
//	{name, "m"}                          the kind and sizes, to refuse a changed config
//	{name, "t"}                          {max event time, floor, sequence}
//	{name, "w", {key}, start}            open window: {end or last event, acc}
//	{name, "s", {key}, time, seq}        sliding buffer: the record's value
//	{name, "p"}                          per-partition maxima: {{partition, max event time}...}
//	{name, "o", seq}                     a final of an earlier version, not yet acknowledged
//
// ({key} is {} for a nil key; times are Unix nanoseconds; the floor is the
// watermark CloseAll and CloseIdle left behind.) Add, CloseAll and CloseIdle
// change only memory; Flush writes every change since the previous Flush in
// one atomic WriteBatch. The in-memory copy is loaded once by NewWindower and
// is authoritative while running.
//
// Crash semantics: the runtime calls Flush as part of a commit (the
// Windower's store is a cache's Deferred view and Flush is an OnCommit
// hook), after the outputs of every record added so far reached their sinks
// and together with the positions of the sources those records came from.
// After a crash (kill -9 included) NewWindower loads the windows as of the
// last commit and the sources replay the records after it: the replay
// rebuilds the same windows and emits the same results again, so no record
// is counted twice or lost, and a result emitted before the crash may be
// emitted a second time, with the same value. Finals of an earlier version's
// outbox ({name, "o", seq}) are returned by the first call and deleted by
// the next Flush. A write error makes the Windower unusable: every later
// call returns that error.

// WindowKind selects the window type.
type WindowKind int

// The window kinds.
const (
	Tumbling WindowKind = iota + 1
	Hopping
	Sliding
	Session
)

func (k WindowKind) String() string {
	switch k {
	case Tumbling:
		return "tumbling"
	case Hopping:
		return "hopping"
	case Sliding:
		return "sliding"
	case Session:
		return "session"
	}
	return fmt.Sprintf("WindowKind(%d)", int(k))
}

// Emit selects when window results are output.
type Emit int

// The emit modes.
const (
	// EmitFinal outputs each window once, when it closes (the default).
	EmitFinal Emit = iota
	// EmitUpdate outputs a window after every change and nothing at close.
	EmitUpdate
)

func (e Emit) String() string {
	switch e {
	case EmitFinal:
		return "final"
	case EmitUpdate:
		return "update"
	}
	return fmt.Sprintf("Emit(%d)", int(e))
}

// WindowConfig configures a Windower; Kind, Agg, Name and the duration of
// the kind are required.
type WindowConfig struct {
	// Kind is Tumbling, Hopping, Sliding or Session.
	Kind WindowKind
	// Size is the window length of tumbling, hopping and sliding windows.
	Size time.Duration
	// Hop is the distance between hopping window starts, 0 < Hop <= Size.
	Hop time.Duration
	// Gap is the longest silence within a session (session windows only).
	Gap time.Duration
	// Grace is how far the watermark trails the greatest event time seen;
	// default 0.
	Grace time.Duration
	// Emit is EmitFinal (the default) or EmitUpdate; sliding windows ignore
	// it and emit one result per record.
	Emit Emit
	// Agg aggregates the values of a window; see BuiltinAggregator.
	Agg Aggregator
	// Name is the persistence namespace: the first element of every store
	// key of this Windower. Two Windowers sharing a store need different
	// names, and a restart must use the same name to continue.
	Name string
}

// validate checks cfg, naming the rule that is broken.
func (cfg WindowConfig) validate() error {
	if cfg.Name == "" {
		return errors.New("window: name must not be empty")
	}
	if cfg.Agg == nil {
		return fmt.Errorf("window %q: agg must be set", cfg.Name)
	}
	if cfg.Grace < 0 {
		return fmt.Errorf("window %q: grace must not be negative, got %s", cfg.Name, cfg.Grace)
	}
	if cfg.Emit != EmitFinal && cfg.Emit != EmitUpdate {
		return fmt.Errorf("window %q: emit must be final or update, got %s", cfg.Name, cfg.Emit)
	}
	switch cfg.Kind {
	case Tumbling, Sliding:
		if cfg.Size <= 0 {
			return fmt.Errorf("window %q: %s windows need a size > 0, got %s", cfg.Name, cfg.Kind, cfg.Size)
		}
	case Hopping:
		if cfg.Size <= 0 {
			return fmt.Errorf("window %q: hopping windows need a size > 0, got %s", cfg.Name, cfg.Size)
		}
		if cfg.Hop <= 0 || cfg.Hop > cfg.Size {
			return fmt.Errorf("window %q: hop must be > 0 and <= size (%s), got %s", cfg.Name, cfg.Size, cfg.Hop)
		}
	case Session:
		if cfg.Gap <= 0 {
			return fmt.Errorf("window %q: session windows need a gap > 0, got %s", cfg.Name, cfg.Gap)
		}
	default:
		return fmt.Errorf("window %q: kind must be tumbling, hopping, sliding or session, got %s", cfg.Name, cfg.Kind)
	}
	return nil
}

// fingerprint describes what persisted windows depend on.
func (cfg WindowConfig) fingerprint() string {
	switch cfg.Kind {
	case Hopping:
		return fmt.Sprintf("hopping size=%s hop=%s", cfg.Size, cfg.Hop)
	case Session:
		return fmt.Sprintf("session gap=%s", cfg.Gap)
	}
	return fmt.Sprintf("%s size=%s", cfg.Kind, cfg.Size)
}

// WindowResult is one output of a Windower: the Lua record {key=, start=,
// ["end"]=, value=}.
type WindowResult struct {
	// Key is the window's key as the store gives it back (numbers that are
	// integers are int64, []byte is string); nil for unkeyed windows.
	Key any
	// Start and End: [Start, End) for tumbling and hopping windows, [Start,
	// End] for sliding windows (End is the record's time), the first and
	// last event times for sessions.
	Start, End time.Time
	// Value is Agg.Result of the window's accumulator.
	Value any
}

// Windower assigns records to windows and aggregates them (see "Windows"
// above). It is safe for concurrent use (one mutex; the Aggregator is called
// with it held, so it must not call back into the Windower). It starts no
// goroutine.
type Windower struct {
	mu    sync.Mutex
	cfg   WindowConfig
	store WindowStore
	name  string

	size, hop, gap, grace int64 // nanoseconds

	keys   map[string]*keyState // by encoded {key}
	closes closeHeap
	open   int // open windows

	hasMax bool
	maxT   int64 // greatest event time seen, over every partition
	// floor is the watermark so far (it never goes back), or where
	// CloseAll/CloseIdle left it; math.MinInt64 for none.
	floor int64
	// parts are the partitions of the input (AddFrom, SetPartitions), each
	// with its own greatest event time: the watermark is the least of
	// those of the partitions that are not idle.
	parts    []*partMark
	byPart   map[string]*partMark
	lastPart *partMark // the one part returned last
	seq      int64     // last sequence number used (outbox, sliding buffer)
	saved    bool      // the fingerprint is in the store

	evicted int64 // sliding records before this time are evicted

	// Changes not yet written.
	metaDirty bool
	dirty     []*win
	dels      []any
	recs      []pendingRec // sliding records
	emitted   []int64      // outbox entries of an earlier version returned since the last write

	pending []WindowResult // finals of an earlier version's outbox to return first
	pendSeq []int64

	adds      uint64 // Add calls, for CloseIdle
	idleAdds  uint64
	idleSince time.Time

	scratch []byte
	err     error // sticky: a write failed
}

// partMark is what one partition of the input contributes to the
// watermark.
type partMark struct {
	name      string
	has       bool  // a record was seen; an expected partition without one holds the watermark
	maxT      int64 // its greatest event time
	idle      bool  // no record for idle (CloseIdle): it does not hold the watermark
	adds      uint64
	idleAdds  uint64
	idleSince time.Time
}

type keyState struct {
	kid   string // EncodeKey({key}): the map key
	key   any    // canonical key
	tuple []any  // {} or {key}, as stored
	wins  []*win // open windows by start
	buf   []slideRec
}

type win struct {
	ks      *keyState
	start   int64
	end     int64 // exclusive end (tumbling, hopping); last event time (session)
	acc     any
	closeAt int64 // closed when the watermark >= closeAt
	dirty   bool
	gone    bool
}

type slideRec struct {
	t, seq int64
	v      any
}

type pendingRec struct {
	ks *keyState
	r  slideRec
}

// closeItem is a window due to close, or a sliding record due for eviction,
// at watermark at. Items of windows that changed are skipped when popped.
type closeItem struct {
	at int64
	w  *win
	ks *keyState // sliding
}

type closeHeap []closeItem

func (h closeHeap) Len() int           { return len(h) }
func (h closeHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h closeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *closeHeap) Push(x any)        { *h = append(*h, x.(closeItem)) }
func (h *closeHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// NewWindower returns a Windower for cfg that keeps its state in store,
// loading what a previous run left under cfg.Name (see "Window persistence"):
// open windows, sliding buffers and the watermark. It reads the store once
// and blocks while doing so. Errors: an invalid cfg; ErrConfig when the
// stored windows were made with another kind, size, hop or gap; store
// errors.
func NewWindower(cfg WindowConfig, store WindowStore) (*Windower, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if store == nil {
		return nil, fmt.Errorf("window %q: store must be set", cfg.Name)
	}
	w := &Windower{
		cfg: cfg, store: store, name: cfg.Name,
		size: int64(cfg.Size), hop: int64(cfg.Hop), gap: int64(cfg.Gap), grace: int64(cfg.Grace),
		keys: map[string]*keyState{}, floor: math.MinInt64, evicted: math.MinInt64,
	}
	if err := w.load(); err != nil {
		return nil, fmt.Errorf("window %q: load: %w", cfg.Name, err)
	}
	return w, nil
}

// keyStateOf returns the state of a stored {key} tuple, creating it.
func (w *Windower) keyStateOf(tuple []any) *keyState {
	kid, _ := EncodeKey(tuple) // decoded from a key: always encodable
	if ks, ok := w.keys[string(kid)]; ok {
		return ks
	}
	ks := &keyState{kid: string(kid), tuple: tuple}
	if len(tuple) == 1 {
		ks.key = tuple[0]
	}
	w.keys[ks.kid] = ks
	return ks
}

// insertWin adds an open window to its key and the close heap.
func (w *Windower) insertWin(nw *win) {
	ks := nw.ks
	i := sort.Search(len(ks.wins), func(i int) bool { return ks.wins[i].start >= nw.start })
	ks.wins = slices.Insert(ks.wins, i, nw)
	w.open++
	w.schedule(nw)
}

// schedule sets a window's close point and queues it.
func (w *Windower) schedule(x *win) {
	if w.cfg.Kind == Session {
		x.closeAt = satAdd(x.end, w.gap, 1)
	} else {
		x.closeAt = x.end
	}
	heap.Push(&w.closes, closeItem{at: x.closeAt, w: x})
}

// removeWin drops a window from memory and schedules its deletion.
func (w *Windower) removeWin(x *win) {
	ks := x.ks
	if i := slices.Index(ks.wins, x); i >= 0 {
		ks.wins = slices.Delete(ks.wins, i, i+1)
	}
	x.gone = true
	w.open--
	w.dels = append(w.dels, w.winKey(ks, x.start))
	w.dropIfEmpty(ks)
}

func (w *Windower) dropIfEmpty(ks *keyState) {
	if len(ks.wins) == 0 && len(ks.buf) == 0 && w.keys[ks.kid] == ks {
		delete(w.keys, ks.kid)
	}
}

func (ks *keyState) insertRec(r slideRec) {
	i := sort.Search(len(ks.buf), func(i int) bool {
		b := ks.buf[i]
		return b.t > r.t || (b.t == r.t && b.seq > r.seq)
	})
	ks.buf = slices.Insert(ks.buf, i, r)
}

// part returns the partition named name, adding it.
func (w *Windower) part(name string) *partMark {
	if p := w.lastPart; p != nil && p.name == name {
		return p // the partition of the previous record: no map lookup
	}
	if p, ok := w.byPart[name]; ok {
		w.lastPart = p
		return p
	}
	if w.byPart == nil {
		w.byPart = map[string]*partMark{}
	}
	p := &partMark{name: name}
	w.parts = append(w.parts, p)
	w.byPart[name] = p
	return p
}

// SetPartitions declares the partitions the input comes from now (a Kafka
// consumer's assignment): a partition that has no record yet holds the
// watermark until its first record, or until it is idle, so records of a
// partition that is read later than the others are not late; partitions not
// listed stop counting. It returns the finals of windows that close
// because the watermark moved.
func (w *Windower) SetPartitions(names []string) ([]WindowResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return nil, w.err
	}
	keep := make(map[string]bool, len(names))
	for _, n := range names {
		keep[n] = true
		w.part(n)
	}
	w.lastPart = nil
	w.parts = slices.DeleteFunc(w.parts, func(p *partMark) bool {
		if !keep[p.name] {
			delete(w.byPart, p.name)
			w.metaDirty = true
			return true
		}
		return false
	})
	return w.advance()
}

// advance raises the floor to the watermark and closes what it passed.
func (w *Windower) advance() ([]WindowResult, error) {
	wm := w.watermark()
	if wm <= w.floor {
		return nil, nil
	}
	w.floor = wm
	w.metaDirty = true
	finals, err := w.closeDue(wm)
	if err != nil {
		return nil, w.fail(err)
	}
	return finals, nil
}

// Event times must fit in int64 Unix nanoseconds (years 1678 to 2262).
var (
	minEventTime = time.Unix(0, math.MinInt64+1)
	maxEventTime = time.Unix(0, math.MaxInt64-1)
)

// Add is AddFrom of the single partition "".
func (w *Windower) Add(key any, t time.Time, v any) (out []WindowResult, late bool, err error) {
	return w.AddFrom("", key, t, v)
}

// AddFrom assigns the value v of key at event time t, read from the input
// partition part, to its windows and
// aggregates it, then closes the windows that the advanced watermark passed.
// It returns what to output: first the unacknowledged finals of an earlier
// version (only on the first call), then, with EmitUpdate, the updated windows
// (in start order) or, with EmitFinal, the windows it closed (ordered by
// end, start and key), and for sliding windows the record's window. late
// is true when every window of the record was already closed: the record
// changed nothing. key must be nil or a valid cache key (string, number,
// boolean or list of those); v must be a value of the data model for sliding
// windows (it is buffered in the store). An Aggregator error changes
// nothing and is returned. It changes memory only (see Flush).
func (w *Windower) AddFrom(part string, key any, t time.Time, v any) (out []WindowResult, late bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return nil, false, w.err
	}
	if t.Before(minEventTime) || t.After(maxEventTime) {
		return nil, false, fmt.Errorf("window %q: event time %s is out of range", w.name, t)
	}
	ts := t.UnixNano()
	kid, err := w.encodeKid(key)
	if err != nil {
		return nil, false, fmt.Errorf("window %q: key: %w", w.name, err)
	}
	w.adds++
	p := w.part(part)
	p.adds++
	p.idle = false

	// The record advances the watermark before it is assigned.
	hadMax, oldMax := w.hasMax, w.maxT
	hadPart, oldPart := p.has, p.maxT
	if !w.hasMax || ts > w.maxT {
		w.hasMax, w.maxT = true, ts
	}
	if !p.has || ts > p.maxT {
		p.has, p.maxT = true, ts
	}
	wm := w.watermark()
	ks := w.keys[string(kid)]

	var upd []WindowResult
	switch w.cfg.Kind {
	case Tumbling, Hopping:
		upd, late, err = w.addFixed(ks, kid, ts, wm, v)
	case Session:
		upd, late, err = w.addSession(ks, kid, ts, wm, v)
	case Sliding:
		upd, late, err = w.addSliding(ks, kid, ts, wm, v)
	}
	if err != nil || late {
		// A late record is older than the maxima anyway.
		w.hasMax, w.maxT = hadMax, oldMax
		p.has, p.maxT = hadPart, oldPart
		if err != nil {
			w.resetChanges()
			return nil, false, fmt.Errorf("window %q: %w", w.name, err)
		}
		return w.takePending(), true, nil
	}
	if w.maxT != oldMax || !hadMax || p.maxT != oldPart || !hadPart || wm != w.floor {
		w.metaDirty = true
	}
	w.floor = wm
	out = w.takePending()
	out = append(out, upd...)
	finals, err := w.closeDue(wm)
	if err != nil {
		return nil, false, w.fail(err)
	}
	return append(out, finals...), false, nil
}

// newKeyState creates the state of a key seen for the first time; the key
// is canonicalised as the store would give it back.
func (w *Windower) newKeyState(kid []byte) *keyState {
	k, _ := DecodeKey(kid) // encoded above: always decodable
	return w.keyStateOf(k.([]any))
}

func (w *Windower) markDirty(x *win) {
	if !x.dirty {
		x.dirty = true
		w.dirty = append(w.dirty, x)
	}
}

// closeDue closes the windows (and evicts the sliding records) that
// watermark wm passed, returning the finals.
func (w *Windower) closeDue(wm int64) ([]WindowResult, error) {
	var closed []*win
	for len(w.closes) > 0 && w.closes[0].at <= wm {
		it := heap.Pop(&w.closes).(closeItem)
		if it.ks != nil {
			w.evict(it.ks, wm)
			continue
		}
		x := it.w
		if x.gone || x.closeAt != it.at {
			continue
		}
		w.removeWin(x)
		closed = append(closed, x)
	}
	return w.finals(closed)
}

// evict drops the sliding records of ks older than wm - size.
func (w *Windower) evict(ks *keyState, wm int64) {
	limit := satAdd(wm, -w.size, 0)
	w.evicted = max(w.evicted, limit)
	n := 0
	for n < len(ks.buf) && ks.buf[n].t < limit {
		w.dels = append(w.dels, w.recKey(ks, ks.buf[n]))
		n++
	}
	if n > 0 {
		ks.buf = slices.Delete(ks.buf, 0, n)
		w.dropIfEmpty(ks)
	}
}

// finals turns closed windows into results (EmitFinal), ordered by end,
// start and key.
func (w *Windower) finals(closed []*win) ([]WindowResult, error) {
	if w.cfg.Emit != EmitFinal || len(closed) == 0 {
		return nil, nil
	}
	slices.SortFunc(closed, func(a, b *win) int {
		if c := cmp.Compare(a.end, b.end); c != 0 {
			return c
		}
		if c := cmp.Compare(a.start, b.start); c != 0 {
			return c
		}
		return cmp.Compare(a.ks.kid, b.ks.kid)
	})
	out := make([]WindowResult, 0, len(closed))
	for _, x := range closed {
		r, err := w.cfg.Agg.Result(x.acc)
		if err != nil {
			return nil, err
		}
		out = append(out, WindowResult{Key: x.ks.key, Start: time.Unix(0, x.start), End: time.Unix(0, x.end), Value: r})
	}
	return out, nil
}

// takePending returns the finals of an earlier version's outbox once.
func (w *Windower) takePending() []WindowResult {
	if w.pending == nil {
		return nil
	}
	out := w.pending
	w.emitted = append(w.emitted, w.pendSeq...)
	w.pending, w.pendSeq = nil, nil
	return out
}

// fail makes the Windower unusable: memory and store have diverged.
func (w *Windower) fail(err error) error {
	w.err = fmt.Errorf("window %q: %w (the window state is no longer written; restart to continue from the store)", w.name, err)
	w.resetChanges()
	return w.err
}

// CloseAll closes every open window, as when a finite input ends (the
// watermark moves to infinity): with EmitFinal it returns their finals
// (ordered by end, start and key), after the unacknowledged finals of an
// earlier version. Sliding windows have nothing to close and keep their buffer.
// The stored watermark becomes the point where all of the closed windows
// count as closed (at least the end of the latest one), so a later run on
// the same store treats records for them as late instead of emitting them a
// second time, while newer records go on normally. It changes memory only.
func (w *Windower) CloseAll() ([]WindowResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return nil, w.err
	}
	return w.closeAll()
}

func (w *Windower) closeAll() ([]WindowResult, error) {
	out := w.takePending()
	var closed []*win
	for _, ks := range w.keys {
		for _, x := range slices.Clone(ks.wins) {
			w.floor = max(w.floor, x.closeAt)
			w.removeWin(x)
			closed = append(closed, x)
		}
	}
	if len(closed) > 0 {
		w.metaDirty = true
		w.closes = slices.DeleteFunc(w.closes, func(it closeItem) bool { return it.w != nil })
		heap.Init(&w.closes)
	}
	finals, err := w.finals(closed)
	if err != nil {
		return nil, w.fail(err)
	}
	return append(out, finals...), nil
}

// CloseIdle closes every open window as CloseAll does when the stream has
// been idle: when no Add happened between an earlier CloseIdle call made at
// least idle before now and this call. The binding calls it periodically
// with the wall clock (every idle/10, say); the first call after an Add only
// starts the idle period. It returns the unacknowledged finals of an
// earlier version if this is the first call, and the finals of the closed
// windows with EmitFinal. Records that arrive later for a closed window are
// late. It changes memory only.
func (w *Windower) CloseIdle(now time.Time, idle time.Duration) ([]WindowResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return nil, w.err
	}
	if w.idleSince.IsZero() || w.adds != w.idleAdds || now.Sub(w.idleSince) < idle {
		if w.idleSince.IsZero() || w.adds != w.idleAdds {
			w.idleSince, w.idleAdds = now, w.adds
		}
		out := w.takePending()
		// A partition without records for idle stops holding the
		// watermark back while the others go on.
		newlyIdle := false
		for _, p := range w.parts {
			switch {
			case p.idle:
			case p.idleSince.IsZero() || p.adds != p.idleAdds:
				p.idleSince, p.idleAdds = now, p.adds
			case now.Sub(p.idleSince) >= idle:
				p.idle, newlyIdle = true, true
			}
		}
		if newlyIdle {
			finals, err := w.advance()
			if err != nil {
				return nil, err
			}
			out = append(out, finals...)
		}
		return out, nil
	}
	w.idleSince = now
	return w.closeAll()
}

// Flush writes every change since the previous Flush to the store in one
// WriteBatch: the runtime calls it at each commit (an OnCommit hook, with
// the store a Deferred view), after the outputs of the records added so far
// reached their sinks. Open windows stay in the store and continue on the
// next run. It writes only when there is something to write.
func (w *Windower) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	return w.write()
}

// floorDiv is division rounding toward negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// satAdd returns a + b + c, saturating at the int64 range.
func satAdd(a, b, c int64) int64 {
	s := a
	for _, d := range [2]int64{b, c} {
		switch {
		case d > 0 && s > math.MaxInt64-d:
			s = math.MaxInt64
		case d < 0 && s < math.MinInt64-d:
			s = math.MinInt64
		default:
			s += d
		}
	}
	return s
}
