package state

import (
	"cmp"
	"container/heap"
	"fmt"
	"math"
	"slices"
	"time"
)

// WindowStore is where a Windower keeps its open windows, accumulators,
// sliding buffers, pending finals and watermark: ordered key/value entries
// (keys and values as for Cache) with atomic multi-entry writes. *Cache
// implements it; a Windower uses only the keys that start with its name
// (see "Window persistence" in window.go), so windows of different names
// can share a cache.
type WindowStore interface {
	// Range calls fn with the entries selected by o in key order until fn
	// returns false. A Windower uses it once, in NewWindower, with
	// RangeOptions.Prefix set.
	Range(o RangeOptions, fn func(k, v any) bool) error
	// WriteBatch deletes dels and then stores puts, all or nothing, durable
	// against a killed process when it returns; entries never expire.
	WriteBatch(puts []KV, dels []any) error
}

// CheckpointStore is where a Checkpoint keeps its state. *Cache implements
// it.
type CheckpointStore interface {
	// Get returns the value at k and whether it exists.
	Get(k any) (v any, ok bool, err error)
	// WriteBatch as for WindowStore.
	WriteBatch(puts []KV, dels []any) error
}

// WriteBatch deletes the keys dels and then stores puts, in one atomic write
// (so a key both deleted and put ends up put). Entries written by it never
// expire, whatever the cache's TTL. A bad key or value writes nothing.
// Durable against a killed process once it returns, or at the next commit
// for the Deferred view (see Cache); it holds the write mutex like every
// other write.
func (c *Cache) WriteBatch(puts []KV, dels []any) (err error) {
	defer c.core.store.guard(&err)
	if err := c.check(); err != nil {
		return err
	}
	var w writes
	for _, k := range dels {
		key, err := EncodeKey(k)
		if err != nil {
			return err
		}
		w.del(c.dbKey(key))
	}
	for _, kv := range puts {
		key, err := EncodeKey(kv.Key)
		if err != nil {
			return err
		}
		b, err := encodeEntry(kv.Value, 0)
		if err != nil {
			return fmt.Errorf("value at %s: %w", FormatKey(kv.Key), err)
		}
		w.put(c.dbKey(key), b)
	}
	c.core.mu.Lock()
	defer c.core.mu.Unlock()
	return c.apply(&w)
}

var (
	_ WindowStore     = (*Cache)(nil)
	_ CheckpointStore = (*Cache)(nil)
)

// Reading and writing a Windower's state (see "Window persistence" in
// window.go): load in NewWindower, write in Flush.

// load reads the Windower's entries from the store.
func (w *Windower) load() error {
	type outEntry struct {
		seq int64
		r   WindowResult
	}
	var outs []outEntry
	var bad error
	badEntry := func(k any) bool {
		bad = fmt.Errorf("unexpected entry %s", FormatKey(k))
		return false
	}
	err := w.store.Range(RangeOptions{Prefix: []any{w.name}}, func(k, v any) bool {
		key, _ := k.([]any)
		if len(key) < 2 {
			return badEntry(k)
		}
		switch key[1] {
		case "m":
			fp, _ := v.(string)
			if want := w.cfg.fingerprint(); fp != want {
				bad = errorf(ErrConfig, "the stored windows are %s, not %s; use another name or clear them", fp, want)
				return false
			}
			w.saved = true
		case "t":
			m, ok := v.([]any)
			if !ok || len(m) != 3 {
				return badEntry(k)
			}
			maxT, ok1 := m[0].(int64)
			floor, ok2 := m[1].(int64)
			seq, ok3 := m[2].(int64)
			if !ok2 || !ok3 || (m[0] != nil && !ok1) {
				return badEntry(k)
			}
			w.hasMax, w.maxT, w.floor, w.seq = m[0] != nil, maxT, floor, seq
			if w.hasMax && len(w.parts) == 0 { // an earlier version: one partition
				p := w.part("")
				p.has, p.maxT = true, maxT
			}
		case "p":
			m, ok := v.([]any)
			if !ok {
				return badEntry(k)
			}
			w.parts, w.byPart, w.lastPart = nil, nil, nil
			for _, e := range m {
				pm, ok := e.([]any)
				if !ok || len(pm) != 2 {
					return badEntry(k)
				}
				name, ok1 := pm[0].(string)
				maxT, ok2 := pm[1].(int64)
				if !ok1 || !ok2 {
					return badEntry(k)
				}
				p := w.part(name)
				p.has, p.maxT = true, maxT
			}
		case "w":
			tuple, ok1 := keyAt(key, 2)
			start, ok2 := int64At(key, 3)
			val, ok3 := v.([]any)
			if !ok1 || !ok2 || len(key) != 4 || !ok3 || len(val) != 2 {
				return badEntry(k)
			}
			end, ok := val[0].(int64)
			if !ok {
				return badEntry(k)
			}
			ks := w.keyStateOf(tuple)
			nw := &win{ks: ks, start: start, end: end, acc: val[1]}
			w.insertWin(nw)
		case "s":
			tuple, ok1 := keyAt(key, 2)
			t, ok2 := int64At(key, 3)
			seq, ok3 := int64At(key, 4)
			if !ok1 || !ok2 || !ok3 || len(key) != 5 {
				return badEntry(k)
			}
			ks := w.keyStateOf(tuple)
			ks.insertRec(slideRec{t: t, seq: seq, v: v})
			heap.Push(&w.closes, closeItem{at: satAdd(t, w.size, 1), ks: ks})
		case "o":
			seq, ok1 := int64At(key, 2)
			val, ok2 := v.([]any)
			if !ok1 || !ok2 || len(val) != 4 {
				return badEntry(k)
			}
			tuple, ok3 := val[0].([]any)
			start, ok4 := val[1].(int64)
			end, ok5 := val[2].(int64)
			if !ok3 || !ok4 || !ok5 || len(tuple) > 1 {
				return badEntry(k)
			}
			var key any
			if len(tuple) == 1 {
				key = tuple[0]
			}
			outs = append(outs, outEntry{seq, WindowResult{Key: key, Start: time.Unix(0, start), End: time.Unix(0, end), Value: val[3]}})
		default:
			return badEntry(k)
		}
		return true
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return err
	}
	slices.SortFunc(outs, func(a, b outEntry) int { return cmp.Compare(a.seq, b.seq) })
	for _, o := range outs {
		w.pending = append(w.pending, o.r)
		w.pendSeq = append(w.pendSeq, o.seq)
	}
	return nil
}

func keyAt(key []any, i int) ([]any, bool) {
	if i >= len(key) {
		return nil, false
	}
	t, ok := key[i].([]any)
	return t, ok && len(t) <= 1
}

func int64At(key []any, i int) (int64, bool) {
	if i >= len(key) {
		return 0, false
	}
	n, ok := key[i].(int64)
	return n, ok
}

func (w *Windower) winKey(ks *keyState, start int64) any {
	return []any{w.name, "w", ks.tuple, start}
}

func (w *Windower) recKey(ks *keyState, r slideRec) any {
	return []any{w.name, "s", ks.tuple, r.t, r.seq}
}

func (w *Windower) outKey(seq int64) any { return []any{w.name, "o", seq} }

// watermark returns the current watermark: the least greatest event time of
// the partitions that are not idle, minus grace, and never less than the
// floor (the watermark so far); math.MinInt64 before any record. An
// expected partition that has no record yet holds it where it is.
func (w *Windower) watermark() int64 {
	m, active := int64(math.MaxInt64), false
	for _, p := range w.parts {
		switch {
		case p.idle:
		case !p.has:
			return w.floor
		default:
			m, active = min(m, p.maxT), true
		}
	}
	if !active {
		return w.floor
	}
	return max(satAdd(m, -w.grace, 0), w.floor)
}

// encodeKid encodes {key} into the scratch buffer.
func (w *Windower) encodeKid(key any) ([]byte, error) {
	b := append(w.scratch[:0], tagTuple)
	if key != nil {
		var err error
		if b, err = appendKey(b, key, 1); err != nil {
			return nil, err
		}
	}
	b = append(b, tupleEnd)
	w.scratch = b
	return b, nil
}

// write stores the changes made since the last write in one batch,
// deletions first, and deletes the outbox entries returned since.
func (w *Windower) write() error {
	var puts []KV
	for _, x := range w.dirty {
		x.dirty = false
		if !x.gone {
			puts = append(puts, KV{w.winKey(x.ks, x.start), []any{x.end, x.acc}})
		}
	}
	for _, p := range w.recs {
		if p.r.t >= w.evicted {
			puts = append(puts, KV{w.recKey(p.ks, p.r), p.r.v})
		}
	}
	dels := w.dels
	if len(puts) == 0 && len(dels) == 0 && !w.metaDirty && len(w.emitted) == 0 {
		w.resetChanges()
		return nil
	}
	for _, seq := range w.emitted {
		dels = append(dels, w.outKey(seq))
	}
	if !w.saved {
		puts = append(puts, KV{[]any{w.name, "m"}, w.cfg.fingerprint()})
	}
	var maxT any
	if w.hasMax {
		maxT = w.maxT
	}
	puts = append(puts, KV{[]any{w.name, "t"}, []any{maxT, w.floor, w.seq}})
	parts := make([]any, 0, len(w.parts))
	for _, p := range w.parts {
		if p.has {
			parts = append(parts, []any{p.name, p.maxT})
		}
	}
	puts = append(puts, KV{[]any{w.name, "p"}, parts})
	if err := w.store.WriteBatch(puts, dels); err != nil {
		return w.fail(err)
	}
	w.saved = true
	w.resetChanges()
	return nil
}

// resetChanges forgets the changes of the current call (after writing them,
// or when nothing was changed).
func (w *Windower) resetChanges() {
	w.metaDirty = false
	clear(w.dirty)
	w.dirty = w.dirty[:0]
	w.dels = nil
	clear(w.recs)
	w.recs = w.recs[:0]
	w.emitted = w.emitted[:0]
}
