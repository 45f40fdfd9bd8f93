package state

import (
	"cmp"
	"container/heap"
	"fmt"
	"slices"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
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

// WriteBatch deletes the keys dels and then stores puts, in one atomic
// goleveldb batch (so a key both deleted and put ends up put). Entries
// written by it never expire, whatever the cache's TTL. A bad key or value
// writes nothing. Durable against a killed process once it returns (see
// Cache); it holds the write mutex like every other write.
func (c *Cache) WriteBatch(puts []KV, dels []any) error {
	var batch leveldb.Batch
	for _, k := range dels {
		key, err := EncodeKey(k)
		if err != nil {
			return err
		}
		batch.Delete(key)
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
		batch.Put(key, b)
	}
	if batch.Len() == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.db.Write(&batch, writeOptions(c.cfg.Sync)); err != nil {
		return c.fail(err)
	}
	return nil
}

var (
	_ WindowStore     = (*Cache)(nil)
	_ CheckpointStore = (*Cache)(nil)
)

// Reading and writing a Windower's state (see "Window persistence" in
// window.go): load in NewWindower, write after the calls that change it.

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

// maybeWrite writes when forced or every w.every Add calls.
func (w *Windower) maybeWrite(force bool) error {
	w.calls++
	if !force && w.calls < w.every {
		return nil
	}
	return w.write()
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
// deletions first: it acknowledges the outbox entries returned before the
// last write, and the entries returned since become the unacknowledged ones.
func (w *Windower) write() error {
	w.calls = 0
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
	puts = append(puts, w.puts...)
	dels := w.dels
	if len(puts) == 0 && len(dels) == 0 && !w.metaDirty && len(w.emitted) == 0 && len(w.unacked) == 0 {
		w.resetChanges()
		return nil
	}
	for _, seq := range w.unacked {
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
	if err := w.store.WriteBatch(puts, dels); err != nil {
		return w.fail(err)
	}
	w.saved = true
	w.unacked = append(w.unacked[:0], w.emitted...)
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
	w.puts = nil
	clear(w.recs)
	w.recs = w.recs[:0]
	w.emitted = w.emitted[:0]
}
