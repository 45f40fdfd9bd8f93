package state

import (
	"bytes"
	"fmt"

	"github.com/syndtr/goleveldb/leveldb/iterator"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// Reading a cache in key order: Range, Floor, Ceil, Count, and the scans
// that delete (Sweep, Clear). Each walks the database merged with the
// pending deferred writes (pending.go).

// bounds returns the database range of the cache's entries selected by o,
// and ok false when it is empty.
func (c *Cache) bounds(o RangeOptions) (r *util.Range, ok bool, err error) {
	r = &util.Range{}
	if o.Prefix != nil {
		p, err := PrefixKey(o.Prefix)
		if err != nil {
			return nil, false, err
		}
		r = util.BytesPrefix(c.dbKey(p))
	} else if c.core.prefix != nil {
		r = util.BytesPrefix(c.core.prefix)
	}
	if o.From != nil {
		f, err := EncodeKey(o.From)
		if err != nil {
			return nil, false, err
		}
		if f = c.dbKey(f); r.Start == nil || bytes.Compare(f, r.Start) > 0 {
			r.Start = f
		}
	}
	if o.To != nil {
		t, err := EncodeKey(o.To)
		if err != nil {
			return nil, false, err
		}
		if t = c.dbKey(t); r.Limit == nil || bytes.Compare(t, r.Limit) < 0 {
			r.Limit = t
		}
	}
	if r.Start != nil && r.Limit != nil && bytes.Compare(r.Start, r.Limit) >= 0 {
		return nil, false, nil
	}
	return r, true, nil
}

// cursor walks the entries of r, pending writes included, in one direction.
type cursor interface {
	first() bool
	next() bool
	key() []byte // the database key
	value() []byte
	err() error
	release()
}

// dbCursor is a cursor over a goleveldb iterator alone (memory caches).
type dbCursor struct {
	it      iterator.Iterator
	reverse bool
}

func (d *dbCursor) first() bool {
	if d.reverse {
		return d.it.Last()
	}
	return d.it.First()
}

func (d *dbCursor) next() bool {
	if d.reverse {
		return d.it.Prev()
	}
	return d.it.Next()
}
func (d *dbCursor) key() []byte   { return d.it.Key() }
func (d *dbCursor) value() []byte { return d.it.Value() }
func (d *dbCursor) err() error    { return d.it.Error() }
func (d *dbCursor) release()      { d.it.Release() }

// mergedCursor adapts mergedIter to cursor.
type mergedCursor struct{ *mergedIter }

func (m mergedCursor) key() []byte   { return m.mergedIter.key }
func (m mergedCursor) value() []byte { return m.mergedIter.val }
func (m mergedCursor) err() error    { return m.mergedIter.err() }

// cursor returns a cursor over r: the database as of now merged with the
// pending writes (which may change while it runs).
func (c *Cache) cursor(r *util.Range, reverse bool) cursor {
	it := c.core.db.NewIterator(r, nil)
	if c.core.prefix == nil {
		return &dbCursor{it: it, reverse: reverse}
	}
	return mergedCursor{newMergedIter(c.core.store.pend.Load(), it, r, reverse)}
}

// Range calls fn with the live entries selected by o, in key order (or
// reverse), until fn returns false or o.Limit entries were visited. It reads
// the database as of the call merged with the pending deferred writes; fn
// may write to the cache (writes it makes ahead of the cursor may or may not
// be visited). Bounds that are not keys give ErrBadKey.
func (c *Cache) Range(o RangeOptions, fn func(k, v any) bool) (err error) {
	defer c.core.store.guard(&err)
	if err := c.check(); err != nil {
		return err
	}
	r, ok, err := c.bounds(o)
	if err != nil || !ok {
		return err
	}
	cur := c.cursor(r, o.Reverse)
	defer cur.release()
	now, n := c.now(), 0
	for ok := cur.first(); ok; ok = cur.next() {
		k, v, alive, err := c.entry(cur, now)
		if err != nil {
			return err
		}
		if !alive {
			continue
		}
		if !fn(k, v) {
			return nil
		}
		if n++; o.Limit > 0 && n >= o.Limit {
			return nil
		}
	}
	if err := cur.err(); err != nil {
		return c.fail(err)
	}
	return nil
}

// entry decodes the cursor's current entry if it is live at now.
func (c *Cache) entry(cur cursor, now int64) (k, v any, alive bool, err error) {
	alive, err = live(cur.value(), now)
	if err != nil || !alive {
		if err != nil {
			err = c.fail(fmt.Errorf("entry %s: %w", FormatKey(c.keyOf(cur.key())), err))
		}
		return nil, nil, false, err
	}
	if k, err = DecodeKey(cur.key()[len(c.core.prefix):]); err != nil {
		return nil, nil, false, c.fail(fmt.Errorf("stored key %x: %w", cur.key(), err))
	}
	if v, err = decodeEntry(cur.value()); err != nil {
		return nil, nil, false, c.fail(fmt.Errorf("entry %s: %w", FormatKey(k), err))
	}
	return k, v, true, nil
}

// Floor returns the live entry with the greatest key <= k (for temporal
// joins: the latest reading at or before a time), ok false if there is none.
// Keys sort by type first, so with tuple keys {id, time} check that the
// returned key has the same id.
func (c *Cache) Floor(k any) (key, value any, ok bool, err error) {
	dbk, err := c.encode(k)
	if err != nil {
		return nil, nil, false, err
	}
	// Every key <= dbk sorts before dbk + 0x00.
	r := &util.Range{Start: c.core.prefix, Limit: append(dbk, 0)}
	return c.firstLive(r, true)
}

// Ceil returns the live entry with the least key >= k, ok false if there is
// none.
func (c *Cache) Ceil(k any) (key, value any, ok bool, err error) {
	dbk, err := c.encode(k)
	if err != nil {
		return nil, nil, false, err
	}
	r := &util.Range{Start: dbk}
	if c.core.prefix != nil {
		r.Limit = prefixEnd(c.core.prefix)
	}
	return c.firstLive(r, false)
}

// firstLive returns the first live entry of r in the given direction.
func (c *Cache) firstLive(r *util.Range, reverse bool) (key, value any, ok bool, err error) {
	defer c.core.store.guard(&err)
	cur := c.cursor(r, reverse)
	defer cur.release()
	now := c.now()
	for valid := cur.first(); valid; valid = cur.next() {
		if key, value, ok, err = c.entry(cur, now); ok || err != nil {
			return key, value, ok, err
		}
	}
	if err := cur.err(); err != nil {
		return nil, nil, false, c.fail(err)
	}
	return nil, nil, false, nil
}

// Sweep calls fn with every live entry in key order and deletes those for
// which fn returns false; expired entries are deleted without calling fn.
// It iterates the entries and deletes in batches under the write mutex, and
// only entries not rewritten since it read them, so it never loses a
// concurrent write. fn may read the cache but must not write to it.
func (c *Cache) Sweep(fn func(k, v any) bool) error {
	return c.sweep(fn)
}

func (c *Cache) sweep(fn func(k, v any) bool) (err error) {
	defer c.core.store.guard(&err)
	if err := c.check(); err != nil {
		return err
	}
	type doomed struct{ key, val []byte }
	var pending []doomed
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		c.core.mu.Lock()
		defer c.core.mu.Unlock()
		var w writes
		for _, d := range pending {
			cur, err := c.get(d.key)
			if err != nil {
				return err
			}
			if cur != nil && bytes.Equal(cur, d.val) {
				w.del(d.key)
			}
		}
		pending = pending[:0]
		return c.apply(&w)
	}
	r, _, _ := c.bounds(RangeOptions{})
	cur := c.cursor(r, false)
	defer cur.release()
	now := c.now()
	for ok := cur.first(); ok; ok = cur.next() {
		alive, err := live(cur.value(), now)
		if err != nil {
			return c.fail(fmt.Errorf("entry %s: %w", FormatKey(c.keyOf(cur.key())), err))
		}
		keep := alive
		if alive && fn != nil {
			k, v, _, err := c.entry(cur, now)
			if err != nil {
				return err
			}
			keep = fn(k, v)
		}
		if !keep {
			pending = append(pending, doomed{bytes.Clone(cur.key()), bytes.Clone(cur.value())})
			if len(pending) >= 1000 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		select {
		case <-c.core.stop:
			if fn == nil { // background sweep: stop early on Close
				return flush()
			}
		default:
		}
	}
	if err := cur.err(); err != nil {
		return c.fail(err)
	}
	return flush()
}

// Clear deletes every entry. It holds the write mutex throughout, so no
// write interleaves with it.
func (c *Cache) Clear() (err error) {
	defer c.core.store.guard(&err)
	if err := c.check(); err != nil {
		return err
	}
	c.core.mu.Lock()
	defer c.core.mu.Unlock()
	r, _, _ := c.bounds(RangeOptions{})
	cur := c.cursor(r, false)
	defer cur.release()
	var w writes
	for ok := cur.first(); ok; ok = cur.next() {
		w.del(bytes.Clone(cur.key()))
		if len(w.keys) >= 10000 {
			if err := c.apply(&w); err != nil {
				return err
			}
			w = writes{}
		}
	}
	if err := cur.err(); err != nil {
		return c.fail(err)
	}
	return c.apply(&w)
}

// Count returns the number of live entries. It iterates the whole cache.
func (c *Cache) Count() (_ int, err error) {
	defer c.core.store.guard(&err)
	if err := c.check(); err != nil {
		return 0, err
	}
	r, _, _ := c.bounds(RangeOptions{})
	cur := c.cursor(r, false)
	defer cur.release()
	now, n := c.now(), 0
	for ok := cur.first(); ok; ok = cur.next() {
		alive, err := live(cur.value(), now)
		if err != nil {
			return 0, c.fail(fmt.Errorf("entry %s: %w", FormatKey(c.keyOf(cur.key())), err))
		}
		if alive {
			n++
		}
	}
	if err := cur.err(); err != nil {
		return 0, c.fail(err)
	}
	return n, nil
}
