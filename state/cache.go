package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sync"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/iterator"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/streamctl/streamctl/value"
)

// CacheConfig configures a cache; the zero value is a persistent cache
// without TTL or fsync.
type CacheConfig struct {
	// Memory keeps the cache in a goleveldb memory storage instead of
	// DIR/cache/NAME/: nothing is persisted, nothing is locked. Default false.
	Memory bool
	// TTL is the default time to live of entries, counted from their last
	// write; 0 (the default) means entries never expire.
	TTL time.Duration
	// Sync fsyncs goleveldb's journal on every write (leveldb
	// WriteOptions{Sync: true}), so writes also survive power loss and OS
	// crashes. Default false: writes survive a killed process only.
	Sync bool
}

// KV is one entry for Cache.PutMany.
type KV struct {
	Key, Value any
}

// RangeOptions selects the entries Cache.Range visits. Nil bounds are open.
type RangeOptions struct {
	From    any  // first key (inclusive)
	To      any  // end key (exclusive)
	Prefix  any  // keys starting with this string or tuple prefix (see PrefixKey)
	Limit   int  // at most this many entries; 0 means no limit
	Reverse bool // visit in descending key order
}

// Cache is one goleveldb database of key/value entries (keys.go, values.go).
// Its methods are safe for concurrent use. Reads see every write that
// returned before them. Writes (Put, Delete, Incr, Update, PutMany, Sweep,
// Clear) are serialized by a per-cache mutex, so Incr and Update are atomic
// read-modify-writes with respect to every other write of the process.
//
// Durability: once a write returns, it is in goleveldb's journal in the
// operating system (one write(2) per write call): it survives the process
// being killed, kill -9 included. With CacheConfig.Sync the journal is also
// fsynced before the call returns, so the write survives power loss.
//
// TTL: entries carry their expiry time. An expired entry is invisible to
// every read (Get, Has, Range, Floor, Ceil, Count, Incr, Update) at once; a
// background goroutine started by Store.Cache deletes expired entries every
// sweep interval (WithSweepInterval) until the last Close.
type Cache struct {
	store *Store
	name  string
	cfg   CacheConfig
	dir   string // "" for memory caches
	db    *leveldb.DB

	mu   sync.Mutex // serializes writes
	refs int        // guarded by store.mu

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// Cache returns the cache name, opening DIR/cache/NAME/ (creating it) the
// first time; later calls in the process return the same *Cache with one
// more reference, and each call needs its own Close. Errors: ErrBadName for
// names outside [A-Za-z0-9_.-]+, ErrConfig when the cache is already open
// with a different cfg, *LockedError when another process holds it,
// *CorruptedError when its files are damaged. The first open of a cache
// starts its sweep goroutine. It blocks while goleveldb opens the database
// (replaying its journal).
func (s *Store) Cache(name string, cfg CacheConfig) (*Cache, error) {
	if err := checkName("cache", name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errorf(ErrClosed, "cache %q: the state store is closed", name)
	}
	if c, ok := s.caches[name]; ok {
		if c.cfg != cfg {
			return nil, errorf(ErrConfig, "cache %q is already open with %s, not %s", name, c.cfg, cfg)
		}
		c.refs++
		return c, nil
	}
	c := &Cache{store: s, name: name, cfg: cfg, refs: 1}
	var err error
	if cfg.Memory {
		c.db, err = newMemDB()
	} else {
		c.dir = filepath.Join(s.dir, cacheDir, name)
		c.db, err = openDB("cache", name, c.dir)
	}
	if err != nil {
		return nil, err
	}
	c.stop, c.done = make(chan struct{}), make(chan struct{})
	if s.cfg.sweep > 0 {
		go c.sweeper(s.cfg.sweep)
	} else {
		close(c.done)
	}
	s.caches[name] = c
	return c, nil
}

// String describes a config for ErrConfig messages.
func (cfg CacheConfig) String() string {
	return fmt.Sprintf("{memory=%t, ttl=%s, sync=%t}", cfg.Memory, cfg.TTL, cfg.Sync)
}

// Name returns the cache's name.
func (c *Cache) Name() string { return c.name }

// Config returns the configuration the cache was opened with.
func (c *Cache) Config() CacheConfig { return c.cfg }

// Close drops one reference. The last Close stops the sweep goroutine (waiting
// for a running sweep), closes the database and releases its lock; later
// calls of the Cache's methods return ErrClosed. Closing more often than
// opening is a no-op.
func (c *Cache) Close() error {
	s := c.store
	s.mu.Lock()
	if c.refs <= 0 {
		s.mu.Unlock()
		return nil
	}
	c.refs--
	if c.refs > 0 {
		s.mu.Unlock()
		return nil
	}
	if s.caches[c.name] == c {
		delete(s.caches, c.name)
	}
	s.mu.Unlock()
	return c.shutdown()
}

// shutdown stops the sweeper and closes the database, once.
func (c *Cache) shutdown() error {
	var err error
	c.once.Do(func() {
		c.store.mu.Lock()
		c.refs = 0
		c.store.mu.Unlock()
		close(c.stop)
		<-c.done
		c.mu.Lock() // let a running write finish
		defer c.mu.Unlock()
		if c.dir == "" {
			err = c.db.Close()
			return
		}
		if err = closeDB(c.db, c.dir); err != nil {
			err = fmt.Errorf("cache %q: close: %w", c.name, err)
		}
	})
	return err
}

func (c *Cache) sweeper(every time.Duration) {
	defer close(c.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			if err := c.sweep(nil); err != nil && !errors.Is(err, ErrClosed) {
				c.store.cfg.log.Warn("cache sweep failed", "cache", c.name, "err", err)
			}
		}
	}
}

// Entry format: entryVersion, uvarint expiry (Unix nanoseconds, 0 = never),
// then an EncodeValue encoding (with its own version byte).
const entryVersion = 0x01

func (c *Cache) now() int64 { return c.store.cfg.now().UnixNano() }

// expiry returns the expiry time of a write with ttl (0 = the cache's TTL,
// negative = never).
func (c *Cache) expiry(ttl time.Duration) int64 {
	if ttl == 0 {
		ttl = c.cfg.TTL
	}
	if ttl <= 0 {
		return 0
	}
	return c.store.cfg.now().Add(ttl).UnixNano()
}

func encodeEntry(v any, exp int64) ([]byte, error) {
	b := binary.AppendUvarint([]byte{entryVersion}, uint64(exp))
	return appendValue(append(b, valueVersion), v)
}

// entryExpiry returns an entry's expiry and the offset of its value.
func entryExpiry(b []byte) (int64, int, error) {
	if len(b) == 0 || b[0] != entryVersion {
		return 0, 0, badValue("unknown entry version")
	}
	exp, n := binary.Uvarint(b[1:])
	if n <= 0 || exp > math.MaxInt64 {
		return 0, 0, badValue("bad expiry")
	}
	return int64(exp), 1 + n, nil
}

// live reports whether entry b is unexpired at now.
func live(b []byte, now int64) (bool, error) {
	exp, _, err := entryExpiry(b)
	return exp == 0 || now < exp, err
}

func decodeEntry(b []byte) (any, error) {
	_, off, err := entryExpiry(b)
	if err != nil {
		return nil, err
	}
	return DecodeValue(b[off:])
}

// fail turns a goleveldb error into this package's errors.
func (c *Cache) fail(err error) error {
	if errors.Is(err, ErrBadKey) || errors.Is(err, ErrBadValue) {
		return err
	}
	return classify("cache", c.name, c.dir, err)
}

// raw returns the live entry at an encoded key, or nil.
func (c *Cache) raw(key []byte) ([]byte, error) {
	b, err := c.db.Get(key, nil)
	if err == leveldb.ErrNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, c.fail(err)
	}
	ok, err := live(b, c.now())
	if err != nil {
		return nil, c.fail(fmt.Errorf("entry %s: %w", FormatKey(mustDecodeKey(key)), err))
	}
	if !ok {
		return nil, nil
	}
	return b, nil
}

func mustDecodeKey(b []byte) any {
	k, err := DecodeKey(b)
	if err != nil {
		return fmt.Sprintf("%x", b)
	}
	return k
}

// Get returns the value at k and whether it exists (and has not expired). A
// stored null is nil, true; a missing key nil, false. It does not block on
// writers.
func (c *Cache) Get(k any) (v any, ok bool, err error) {
	key, err := EncodeKey(k)
	if err != nil {
		return nil, false, err
	}
	b, err := c.raw(key)
	if err != nil || b == nil {
		return nil, false, err
	}
	v, err = decodeEntry(b)
	if err != nil {
		return nil, false, c.fail(fmt.Errorf("entry %s: %w", FormatKey(k), err))
	}
	return v, true, nil
}

// Has reports whether k exists and has not expired.
func (c *Cache) Has(k any) (bool, error) {
	key, err := EncodeKey(k)
	if err != nil {
		return false, err
	}
	b, err := c.raw(key)
	return b != nil, err
}

// Expires returns the expiry time of the live entry at k: zero when it
// never expires; ok is false when k is missing or expired.
func (c *Cache) Expires(k any) (t time.Time, ok bool, err error) {
	key, err := EncodeKey(k)
	if err != nil {
		return time.Time{}, false, err
	}
	b, err := c.raw(key)
	if err != nil || b == nil {
		return time.Time{}, false, err
	}
	if exp, _, _ := entryExpiry(b); exp != 0 { // raw checked the entry
		return time.Unix(0, exp), true, nil
	}
	return time.Time{}, true, nil
}

// PutExpiring stores v at k to expire at the time expires (zero: never), for
// restoring an entry exactly as Expires reported it. An expiry in the past
// stores the entry expired: invisible, then swept. Durable as Put is.
func (c *Cache) PutExpiring(k, v any, expires time.Time) error {
	key, err := EncodeKey(k)
	if err != nil {
		return err
	}
	var exp int64
	if !expires.IsZero() {
		exp = max(expires.UnixNano(), 1) // 0 means never
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.put(key, v, exp)
}

// Put stores v at k. ttl > 0 sets the entry's time to live, 0 uses the
// cache's TTL, < 0 means it never expires. Durable against a killed process
// once it returns (see Cache).
func (c *Cache) Put(k, v any, ttl time.Duration) error {
	key, err := EncodeKey(k)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.put(key, v, c.expiry(ttl))
}

func (c *Cache) put(key []byte, v any, exp int64) error {
	b, err := encodeEntry(v, exp)
	if err != nil {
		return err
	}
	if err := c.db.Put(key, b, writeOptions(c.cfg.Sync)); err != nil {
		return c.fail(err)
	}
	return nil
}

// PutMany stores every entry of kvs in one atomic goleveldb batch, with ttl as
// for Put. A bad key or value stores nothing.
func (c *Cache) PutMany(kvs []KV, ttl time.Duration) error {
	var batch leveldb.Batch
	c.mu.Lock()
	defer c.mu.Unlock()
	exp := c.expiry(ttl)
	for _, kv := range kvs {
		key, err := EncodeKey(kv.Key)
		if err != nil {
			return err
		}
		b, err := encodeEntry(kv.Value, exp)
		if err != nil {
			return fmt.Errorf("value at %s: %w", FormatKey(kv.Key), err)
		}
		batch.Put(key, b)
	}
	if err := c.db.Write(&batch, writeOptions(c.cfg.Sync)); err != nil {
		return c.fail(err)
	}
	return nil
}

// Delete removes k; a missing key is not an error.
func (c *Cache) Delete(k any) error {
	key, err := EncodeKey(k)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.db.Delete(key, writeOptions(c.cfg.Sync)); err != nil {
		return c.fail(err)
	}
	return nil
}

// Incr adds by to the number at k (a missing or expired key counts as 0),
// stores the sum with the cache's TTL and returns it. It is atomic: the read
// and the single goleveldb write happen under the cache's write mutex. The
// sum stays an int64 while both operands are integers and it does not
// overflow, else it is a float64. A value that is not a number gives an
// error wrapping ErrNotNumber: `value at "hits" is a string, not a number`.
func (c *Cache) Incr(k any, by float64) (float64, error) {
	key, err := EncodeKey(k)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.raw(key)
	if err != nil {
		return 0, err
	}
	var old any = int64(0)
	if b != nil {
		if old, err = decodeEntry(b); err != nil {
			return 0, c.fail(fmt.Errorf("entry %s: %w", FormatKey(k), err))
		}
	}
	var sum any
	switch x := old.(type) {
	case int64:
		sum = float64(x) + by
		if by == math.Trunc(by) && by >= -two63 && by < two63 {
			d := int64(by)
			if s := x + d; (d >= 0 && s >= x) || (d < 0 && s < x) {
				sum = s // no overflow
			}
		}
	case float64:
		sum = x + by
	case value.Number: // beyond int64
		sum = x.Float64() + by
	default:
		t := typeName(old)
		return 0, errorf(ErrNotNumber, "value at %s is %s%s, not a number", FormatKey(k), article(t), t)
	}
	if err := c.put(key, sum, c.expiry(0)); err != nil {
		return 0, err
	}
	if i, ok := sum.(int64); ok {
		return float64(i), nil
	}
	return sum.(float64), nil
}

// Update is an atomic read-modify-write of k: it calls fn with the current
// value (ok false when missing or expired) and stores what fn returns (with
// the cache's TTL), deletes k when del is true, or changes nothing and
// returns fn's error. It returns the new value (nil after a delete). fn runs
// with the cache's write mutex held: it may read this cache but must not
// write to it (that would deadlock).
func (c *Cache) Update(k any, fn func(old any, ok bool) (new any, del bool, err error)) (any, error) {
	key, err := EncodeKey(k)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.raw(key)
	if err != nil {
		return nil, err
	}
	var old any
	if b != nil {
		if old, err = decodeEntry(b); err != nil {
			return nil, c.fail(fmt.Errorf("entry %s: %w", FormatKey(k), err))
		}
	}
	nv, del, err := fn(old, b != nil)
	if err != nil {
		return nil, err
	}
	if del {
		if b == nil {
			return nil, nil
		}
		if err := c.db.Delete(key, writeOptions(c.cfg.Sync)); err != nil {
			return nil, c.fail(err)
		}
		return nil, nil
	}
	return nv, c.put(key, nv, c.expiry(0))
}

// Range calls fn with the live entries selected by o, in key order (or
// reverse), until fn returns false or o.Limit entries were visited. It reads
// a consistent snapshot taken at the call, so fn may write to the cache
// (the writes are not visited). Bounds that are not keys give ErrBadKey.
func (c *Cache) Range(o RangeOptions, fn func(k, v any) bool) error {
	r := &util.Range{}
	if o.Prefix != nil {
		p, err := PrefixKey(o.Prefix)
		if err != nil {
			return err
		}
		r = util.BytesPrefix(p)
	}
	if o.From != nil {
		f, err := EncodeKey(o.From)
		if err != nil {
			return err
		}
		if r.Start == nil || bytes.Compare(f, r.Start) > 0 {
			r.Start = f
		}
	}
	if o.To != nil {
		t, err := EncodeKey(o.To)
		if err != nil {
			return err
		}
		if r.Limit == nil || bytes.Compare(t, r.Limit) < 0 {
			r.Limit = t
		}
	}
	if r.Start != nil && r.Limit != nil && bytes.Compare(r.Start, r.Limit) >= 0 {
		return nil
	}
	it := c.db.NewIterator(r, nil)
	defer it.Release()
	next, ok := it.Next, it.First()
	if o.Reverse {
		next, ok = it.Prev, it.Last()
	}
	now, n := c.now(), 0
	for ; ok; ok = next() {
		k, v, alive, err := c.entry(it, now)
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
	if err := it.Error(); err != nil {
		return c.fail(err)
	}
	return nil
}

// entry decodes the iterator's current entry if it is live at now.
func (c *Cache) entry(it iterator.Iterator, now int64) (k, v any, alive bool, err error) {
	alive, err = live(it.Value(), now)
	if err != nil || !alive {
		if err != nil {
			err = c.fail(fmt.Errorf("entry %s: %w", FormatKey(mustDecodeKey(it.Key())), err))
		}
		return nil, nil, false, err
	}
	if k, err = DecodeKey(it.Key()); err != nil {
		return nil, nil, false, c.fail(fmt.Errorf("stored key %x: %w", it.Key(), err))
	}
	if v, err = decodeEntry(it.Value()); err != nil {
		return nil, nil, false, c.fail(fmt.Errorf("entry %s: %w", FormatKey(k), err))
	}
	return k, v, true, nil
}

// Floor returns the live entry with the greatest key <= k (for temporal
// joins: the latest reading at or before a time), ok false if there is none.
// Keys sort by type first, so with tuple keys {id, time} check that the
// returned key has the same id.
func (c *Cache) Floor(k any) (key, value any, ok bool, err error) {
	enc, err := EncodeKey(k)
	if err != nil {
		return nil, nil, false, err
	}
	it := c.db.NewIterator(nil, nil)
	defer it.Release()
	now := c.now()
	valid := it.Seek(enc)
	if valid && bytes.Equal(it.Key(), enc) {
		if key, value, ok, err = c.entry(it, now); ok || err != nil {
			return key, value, ok, err
		}
	}
	if valid {
		valid = it.Prev()
	} else {
		valid = it.Last()
	}
	for ; valid; valid = it.Prev() {
		if key, value, ok, err = c.entry(it, now); ok || err != nil {
			return key, value, ok, err
		}
	}
	return nil, nil, false, c.iterErr(it)
}

// Ceil returns the live entry with the least key >= k, ok false if there is
// none.
func (c *Cache) Ceil(k any) (key, value any, ok bool, err error) {
	enc, err := EncodeKey(k)
	if err != nil {
		return nil, nil, false, err
	}
	it := c.db.NewIterator(nil, nil)
	defer it.Release()
	now := c.now()
	for valid := it.Seek(enc); valid; valid = it.Next() {
		if key, value, ok, err = c.entry(it, now); ok || err != nil {
			return key, value, ok, err
		}
	}
	return nil, nil, false, c.iterErr(it)
}

func (c *Cache) iterErr(it iterator.Iterator) error {
	if err := it.Error(); err != nil {
		return c.fail(err)
	}
	return nil
}

// Sweep calls fn with every live entry in key order and deletes those for
// which fn returns false; expired entries are deleted without calling fn.
// It iterates a snapshot and deletes in batches under the write mutex, and
// only entries not rewritten since the snapshot, so it never loses a
// concurrent write. fn may read the cache but must not write to it.
func (c *Cache) Sweep(fn func(k, v any) bool) error {
	return c.sweep(fn)
}

func (c *Cache) sweep(fn func(k, v any) bool) error {
	type doomed struct{ key, val []byte }
	var pending []doomed
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		var batch leveldb.Batch
		for _, d := range pending {
			cur, err := c.db.Get(d.key, nil)
			if err == leveldb.ErrNotFound {
				continue
			}
			if err != nil {
				return c.fail(err)
			}
			if bytes.Equal(cur, d.val) {
				batch.Delete(d.key)
			}
		}
		pending = pending[:0]
		if batch.Len() == 0 {
			return nil
		}
		if err := c.db.Write(&batch, writeOptions(c.cfg.Sync)); err != nil {
			return c.fail(err)
		}
		return nil
	}
	it := c.db.NewIterator(nil, nil)
	defer it.Release()
	now := c.now()
	for ok := it.First(); ok; ok = it.Next() {
		alive, err := live(it.Value(), now)
		if err != nil {
			return c.fail(fmt.Errorf("entry %s: %w", FormatKey(mustDecodeKey(it.Key())), err))
		}
		keep := alive
		if alive && fn != nil {
			k, v, _, err := c.entry(it, now)
			if err != nil {
				return err
			}
			keep = fn(k, v)
		}
		if !keep {
			pending = append(pending, doomed{bytes.Clone(it.Key()), bytes.Clone(it.Value())})
			if len(pending) >= 1000 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		select {
		case <-c.stop:
			if fn == nil { // background sweep: stop early on Close
				return flush()
			}
		default:
		}
	}
	if err := it.Error(); err != nil {
		return c.fail(err)
	}
	return flush()
}

// Clear deletes every entry. It holds the write mutex throughout, so no
// write interleaves with it.
func (c *Cache) Clear() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	it := c.db.NewIterator(nil, nil)
	defer it.Release()
	var batch leveldb.Batch
	for ok := it.First(); ok; ok = it.Next() {
		batch.Delete(it.Key()) // Delete copies the key
		if batch.Len() >= 10000 {
			if err := c.db.Write(&batch, writeOptions(c.cfg.Sync)); err != nil {
				return c.fail(err)
			}
			batch.Reset()
		}
	}
	if err := it.Error(); err != nil {
		return c.fail(err)
	}
	if err := c.db.Write(&batch, writeOptions(c.cfg.Sync)); err != nil {
		return c.fail(err)
	}
	return nil
}

// Count returns the number of live entries. It iterates the whole cache.
func (c *Cache) Count() (int, error) {
	it := c.db.NewIterator(nil, nil)
	defer it.Release()
	now, n := c.now(), 0
	for ok := it.First(); ok; ok = it.Next() {
		alive, err := live(it.Value(), now)
		if err != nil {
			return 0, c.fail(fmt.Errorf("entry %s: %w", FormatKey(mustDecodeKey(it.Key())), err))
		}
		if alive {
			n++
		}
	}
	return n, c.iterErr(it)
}
