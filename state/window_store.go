package state

import (
	"fmt"
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
