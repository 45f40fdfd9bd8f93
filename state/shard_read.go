package state

import (
	"bytes"
)

// Shards reads several shards of a partitioned cache as one cache: what
// code outside the handlers of its topic sees (timers, hooks). Get and Has
// find the key in the first shard that holds it; Range visits the entries
// of every shard merged in key order; Floor and Ceil take the nearest key
// over all shards; Count sums. It only reads: a partitioned cache is written
// shard by shard. Safe for concurrent use as its Caches are.
type Shards []*Cache

// Get returns the value at k in the first shard that holds it.
func (ss Shards) Get(k any) (any, bool, error) {
	for _, c := range ss {
		if v, ok, err := c.Get(k); ok || err != nil {
			return v, ok, err
		}
	}
	return nil, false, nil
}

// Has reports whether a shard holds k.
func (ss Shards) Has(k any) (bool, error) {
	for _, c := range ss {
		if ok, err := c.Has(k); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// Count returns the number of live entries of every shard.
func (ss Shards) Count() (int, error) {
	n := 0
	for _, c := range ss {
		m, err := c.Count()
		if err != nil {
			return 0, err
		}
		n += m
	}
	return n, nil
}

// Floor returns the entry with the greatest key <= k over all shards.
func (ss Shards) Floor(k any) (key, value any, ok bool, err error) {
	return ss.nearest(k, (*Cache).Floor, 1)
}

// Ceil returns the entry with the least key >= k over all shards.
func (ss Shards) Ceil(k any) (key, value any, ok bool, err error) {
	return ss.nearest(k, (*Cache).Ceil, -1)
}

// nearest asks every shard and keeps the answer whose key compares to the
// others as better (1: greatest, -1: least).
func (ss Shards) nearest(k any, find func(*Cache, any) (any, any, bool, error), better int) (key, value any, ok bool, err error) {
	var best []byte
	for _, c := range ss {
		ck, cv, found, err := find(c, k)
		if err != nil {
			return nil, nil, false, err
		}
		if !found {
			continue
		}
		enc, err := EncodeKey(ck)
		if err != nil {
			return nil, nil, false, err
		}
		if !ok || bytes.Compare(enc, best) == better {
			key, value, ok, best = ck, cv, true, enc
		}
	}
	return key, value, ok, nil
}

// Range calls fn with the live entries selected by o of every shard, merged
// in key order (or reverse), until fn returns false or o.Limit entries were
// visited. A key held by two shards is visited twice, in shard order.
func (ss Shards) Range(o RangeOptions, fn func(k, v any) bool) (err error) {
	type head struct {
		c   *Cache
		cur cursor
		ok  bool
	}
	heads := make([]*head, 0, len(ss))
	defer func() {
		for _, h := range heads {
			h.cur.release()
		}
	}()
	if len(ss) > 0 {
		defer ss[0].core.store.guard(&err)
	}
	now := int64(0)
	for _, c := range ss {
		if err := c.check(); err != nil {
			return err
		}
		r, ok, err := c.bounds(o)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		now = c.now()
		h := &head{c: c, cur: c.cursor(r, o.Reverse)}
		heads = append(heads, h)
		h.ok = h.cur.first()
	}
	// skip moves h to its next live entry.
	skip := func(h *head) error {
		for ; h.ok; h.ok = h.cur.next() {
			alive, err := live(h.cur.value(), now)
			if err != nil || alive {
				return err
			}
		}
		return h.cur.err()
	}
	for _, h := range heads {
		if err := skip(h); err != nil {
			return h.c.fail(err)
		}
	}
	n := 0
	for {
		var next *head
		for _, h := range heads {
			if !h.ok {
				continue
			}
			if next == nil {
				next = h
				continue
			}
			c := bytes.Compare(h.cur.key()[len(h.c.core.prefix):], next.cur.key()[len(next.c.core.prefix):])
			if (c < 0) != o.Reverse && c != 0 {
				next = h
			}
		}
		if next == nil {
			return nil
		}
		k, v, _, err := next.c.entry(next.cur, now)
		if err != nil {
			return err
		}
		if !fn(k, v) {
			return nil
		}
		if n++; o.Limit > 0 && n >= o.Limit {
			return nil
		}
		next.ok = next.cur.next()
		if err := skip(next); err != nil {
			return next.c.fail(err)
		}
	}
}
