package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamctl/streamctl/value"
	"github.com/syndtr/goleveldb/leveldb"
)

// CacheConfig configures a cache; the zero value is a persistent cache
// without TTL or fsync.
type CacheConfig struct {
	// Memory keeps the cache in a goleveldb memory storage of its own
	// instead of the state directory's database: nothing is persisted,
	// nothing is locked, and deferred writes are not deferred. Default false.
	Memory bool
	// TTL is the default time to live of entries, counted from their last
	// write; 0 (the default) means entries never expire.
	TTL time.Duration
	// Sync fsyncs goleveldb's journal on every immediate write (leveldb
	// WriteOptions{Sync: true}), and every commit while the cache is open,
	// so writes also survive power loss and OS crashes. Default false:
	// writes survive a killed process only.
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

// Cache is one cache of key/value entries (keys.go, values.go) in the state
// directory's database, or in memory. Its methods are safe for concurrent
// use. Reads see every write that returned before them, deferred ones
// included. Writes (Put, Delete, Incr, Update, PutMany, WriteBatch, Sweep,
// Clear) are serialized by a per-cache mutex, so Incr and Update are atomic
// read-modify-writes with respect to every other write of the process.
//
// Durability: the *Cache that Store.Cache returns writes immediately: once
// a write returns it is in goleveldb's journal in the operating system (one
// write(2) per write call), so it survives the process being killed, kill -9
// included; with CacheConfig.Sync the journal is also fsynced before the
// call returns, so the write survives power loss. Its Deferred view writes
// into the Store's pending writes instead, which Store.Commit makes durable
// together with source positions.
//
// TTL: entries carry their expiry time. An expired entry is invisible to
// every read (Get, Has, Range, Floor, Ceil, Count, Incr, Update) at once; a
// background goroutine started by Store.Cache deletes expired entries every
// sweep interval (WithSweepInterval) until the last Close.
type Cache struct {
	core     *cacheCore
	deferred bool
}

// cacheCore is what the immediate and the deferred view of a cache share.
type cacheCore struct {
	store  *Store
	name   string
	cfg    CacheConfig
	kind   string      // kindPlain, kindGlobal or kindShard (shard.go)
	db     *leveldb.DB // the store's database, or the memory cache's own
	prefix []byte      // cachePrefix(name); nil for memory caches
	imm    *Cache      // the view Store.Cache returns
	def    *Cache      // its Deferred view

	mu   sync.Mutex // serializes writes
	refs int        // guarded by store.mu
	// keyBuf and valBuf, guarded by mu, hold the encoded key and entry
	// of a Put: every write copies them (a pending write, a goleveldb
	// batch), so one pair serves every Put.
	keyBuf, valBuf []byte
	closed         atomic.Bool

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// Cache returns the cache name, opening the state directory's database
// (creating and locking it) if this is the first use; later calls in the
// process return the same *Cache with one more reference, and each call
// needs its own Close. Errors: ErrBadName for names outside
// [A-Za-z0-9_.-]+, ErrConfig when the cache is already open with a
// different cfg, *LockedError when another process holds the state
// directory, *CorruptedError when its files are damaged. The first open of a
// cache starts its sweep goroutine. It blocks while goleveldb opens the
// database (replaying its journal).
func (s *Store) Cache(name string, cfg CacheConfig) (_ *Cache, err error) {
	return s.openCache(name, cfg, kindPlain)
}

// openCache opens the cache name of the given kind (see shard.go): a plain
// or global cache is registered in the database ('n' NAME), a shard is not;
// kindAny opens a plain or global cache as it is, for reading and dumps.
func (s *Store) openCache(name string, cfg CacheConfig, kind string) (_ *Cache, err error) {
	defer s.guard(&err)
	if kind != kindShard {
		if err := checkName("cache", name); err != nil {
			return nil, err
		}
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
		if kind != kindAny && c.kind != kind {
			return nil, kindError(name, c.kind, kind)
		}
		c.refs++
		return c.imm, nil
	}
	s.used.Store(true)
	c := &cacheCore{store: s, name: name, cfg: cfg, refs: 1, kind: kind}
	if cfg.Memory {
		db, err := newMemDB()
		if err != nil {
			return nil, err
		}
		c.db = db
	} else {
		db, err := s.database()
		if err != nil {
			return nil, err
		}
		if kind != kindShard {
			if c.kind, err = s.register(db, name, kind); err != nil {
				return nil, err
			}
		}
		c.db, c.prefix = db, cachePrefix(name)
	}
	c.imm = &Cache{core: c}
	c.def = &Cache{core: c, deferred: true}
	c.stop, c.done = make(chan struct{}), make(chan struct{})
	if s.cfg.sweep > 0 {
		go c.sweeper(s.cfg.sweep)
	} else {
		close(c.done)
	}
	s.caches[name] = c
	return c.imm, nil
}

// String describes a config for ErrConfig messages.
func (cfg CacheConfig) String() string {
	return fmt.Sprintf("{memory=%t, ttl=%s, sync=%t}", cfg.Memory, cfg.TTL, cfg.Sync)
}

// Name returns the cache's name.
func (c *Cache) Name() string { return c.core.name }

// Config returns the configuration the cache was opened with.
func (c *Cache) Config() CacheConfig { return c.core.cfg }

// Deferred returns the view of the cache whose writes wait for the next
// Store.Commit (see commit.go); reads are the same in both views. For a
// memory cache, whose writes are never durable, it writes at once too. The
// view shares the cache's reference: Close either one.
func (c *Cache) Deferred() *Cache { return c.core.def }

// Immediate returns the view of the cache whose writes are durable when
// they return (the one Store.Cache returns).
func (c *Cache) Immediate() *Cache { return c.core.imm }

// Close drops one reference. The last Close stops the sweep goroutine (waiting
// for a running sweep) and forgets the cache; later calls of the Cache's
// methods return ErrClosed. Pending deferred writes of the cache stay pending
// until the next commit. Closing more often than opening is a no-op.
func (c *Cache) Close() error {
	core := c.core
	s := core.store
	s.mu.Lock()
	if core.refs <= 0 {
		s.mu.Unlock()
		return nil
	}
	core.refs--
	if core.refs > 0 {
		s.mu.Unlock()
		return nil
	}
	if s.caches[core.name] == core {
		delete(s.caches, core.name)
	}
	s.mu.Unlock()
	return core.shutdown()
}

// shutdown stops the sweeper and, for a memory cache, closes its database,
// once.
func (c *cacheCore) shutdown() error {
	var err error
	c.once.Do(func() {
		c.store.mu.Lock()
		c.refs = 0
		c.store.mu.Unlock()
		close(c.stop)
		<-c.done
		c.mu.Lock() // let a running write finish
		defer c.mu.Unlock()
		c.closed.Store(true)
		if c.prefix == nil {
			err = c.db.Close()
		}
	})
	return err
}

func (c *cacheCore) sweeper(every time.Duration) {
	defer close(c.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			if err := c.imm.sweep(nil); err != nil && !errors.Is(err, ErrClosed) {
				c.store.cfg.log.Warn("cache sweep failed", "cache", c.name, "err", err)
			}
		}
	}
}

// Entry format: entryVersion, uvarint expiry (Unix nanoseconds, 0 = never),
// then an EncodeValue encoding (with its own version byte).
const entryVersion = 0x01

func (c *Cache) now() int64 { return c.core.store.cfg.now().UnixNano() }

// expiry returns the expiry time of a write with ttl (0 = the cache's TTL,
// negative = never).
func (c *Cache) expiry(ttl time.Duration) int64 {
	if ttl == 0 {
		ttl = c.core.cfg.TTL
	}
	if ttl <= 0 {
		return 0
	}
	return c.core.store.cfg.now().Add(ttl).UnixNano()
}

func encodeEntry(v any, exp int64) ([]byte, error) {
	return appendEntry(make([]byte, 0, 64), v, exp)
}

// appendEntry appends the entry of v expiring at exp to b.
func appendEntry(b []byte, v any, exp int64) ([]byte, error) {
	b = binary.AppendUvarint(append(b, entryVersion), uint64(exp))
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
	if c.core.prefix == nil {
		if errors.Is(err, leveldb.ErrClosed) {
			return c.closedErr()
		}
		return fmt.Errorf("cache %q: %w", c.core.name, err)
	}
	return c.core.store.classify(err)
}

func (c *Cache) closedErr() error { return errorf(ErrClosed, "cache %q is closed", c.core.name) }

// check returns ErrClosed after the last Close.
func (c *Cache) check() error {
	if c.core.closed.Load() {
		return c.closedErr()
	}
	return nil
}

// dbKey returns the database key of an encoded cache key.
func (c *Cache) dbKey(key []byte) []byte {
	if c.core.prefix == nil {
		return key
	}
	b := make([]byte, 0, len(c.core.prefix)+len(key))
	return append(append(b, c.core.prefix...), key...)
}

// encode encodes k and returns its database key.
func (c *Cache) encode(k any) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	// The prefix and the key in one allocation (dbKey's).
	return appendKey(append(make([]byte, 0, len(c.core.prefix)+16), c.core.prefix...), k, 0)
}

// get returns the stored entry at a database key, pending writes first: nil
// when there is none.
func (c *Cache) get(dbk []byte) ([]byte, error) {
	if c.core.prefix != nil {
		if val, deleted, found := c.core.store.pend.Load().get(dbk); found {
			if deleted {
				return nil, nil
			}
			return val, nil
		}
	}
	b, err := c.core.db.Get(dbk, nil)
	if err == leveldb.ErrNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, c.fail(err)
	}
	return b, nil
}

// raw returns the live entry at a database key, or nil.
func (c *Cache) raw(dbk []byte) ([]byte, error) {
	b, err := c.get(dbk)
	if err != nil || b == nil {
		return nil, err
	}
	ok, err := live(b, c.now())
	if err != nil {
		return nil, c.fail(fmt.Errorf("entry %s: %w", FormatKey(c.keyOf(dbk)), err))
	}
	if !ok {
		return nil, nil
	}
	return b, nil
}

// keyOf decodes the cache key of a database key for messages.
func (c *Cache) keyOf(dbk []byte) any {
	b := dbk[len(c.core.prefix):]
	k, err := DecodeKey(b)
	if err != nil {
		return fmt.Sprintf("%x", b)
	}
	return k
}

// writes is a set of changes to a cache: a goleveldb batch of database keys
// (a nil value deletes).
type writes struct {
	keys, vals [][]byte
}

func (w *writes) put(k, v []byte) { w.keys, w.vals = append(w.keys, k), append(w.vals, v) }
func (w *writes) del(k []byte)    { w.keys, w.vals = append(w.keys, k), append(w.vals, nil) }

// addTo adds the writes to batch, in order.
func (w *writes) addTo(batch *leveldb.Batch) {
	for i, k := range w.keys {
		if w.vals[i] == nil {
			batch.Delete(k)
		} else {
			batch.Put(k, w.vals[i])
		}
	}
}

// toPending applies w to s's pending writes: every write when all, else
// only those of keys the pending writes hold, so that reads of them see
// the newest value.
func (w *writes) toPending(s *Store, all bool) {
	s.txMu.RLock()
	defer s.txMu.RUnlock()
	p := s.pend.Load()
	for i, k := range w.keys {
		if !all && !p.has(k) {
			continue
		}
		if w.vals[i] == nil {
			p.del(k)
		} else {
			p.put(k, w.vals[i])
		}
	}
}

// apply makes the writes: deferred ones into the store's pending writes;
// immediate ones in one atomic goleveldb batch, after updating the pending
// writes of the same keys so reads keep seeing the newest value. Caller
// holds c.core.mu.
func (c *Cache) apply(w *writes) error {
	if len(w.keys) == 0 {
		return nil
	}
	core := c.core
	if core.prefix != nil {
		w.toPending(core.store, c.deferred)
		if c.deferred {
			return nil
		}
	}
	var err error
	if len(w.keys) == 1 {
		// goleveldb's Put and Delete write one record from a pooled batch.
		if w.vals[0] == nil {
			err = core.db.Delete(w.keys[0], writeOptions(core.cfg.Sync))
		} else {
			err = core.db.Put(w.keys[0], w.vals[0], writeOptions(core.cfg.Sync))
		}
	} else {
		var batch leveldb.Batch
		w.addTo(&batch)
		err = core.db.Write(&batch, writeOptions(core.cfg.Sync))
	}
	if err != nil {
		return c.fail(err)
	}
	return nil
}

// write1 applies a single put (val non-nil) or delete. Caller holds c.core.mu.
func (c *Cache) write1(dbk, val []byte) error {
	w := writes{keys: [][]byte{dbk}, vals: [][]byte{val}}
	return c.apply(&w)
}

// Get returns the value at k and whether it exists (and has not expired). A
// stored null is nil, true; a missing key nil, false. It does not block on
// writers.
func (c *Cache) Get(k any) (v any, ok bool, err error) {
	defer c.core.store.guard(&err)
	dbk, err := c.encode(k)
	if err != nil {
		return nil, false, err
	}
	b, err := c.raw(dbk)
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
func (c *Cache) Has(k any) (_ bool, err error) {
	defer c.core.store.guard(&err)
	dbk, err := c.encode(k)
	if err != nil {
		return false, err
	}
	b, err := c.raw(dbk)
	return b != nil, err
}

// Expires returns the expiry time of the live entry at k: zero when it
// never expires; ok is false when k is missing or expired.
func (c *Cache) Expires(k any) (t time.Time, ok bool, err error) {
	defer c.core.store.guard(&err)
	dbk, err := c.encode(k)
	if err != nil {
		return time.Time{}, false, err
	}
	b, err := c.raw(dbk)
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
func (c *Cache) PutExpiring(k, v any, expires time.Time) (err error) {
	defer c.core.store.guard(&err)
	dbk, err := c.encode(k)
	if err != nil {
		return err
	}
	var exp int64
	if !expires.IsZero() {
		exp = max(expires.UnixNano(), 1) // 0 means never
	}
	c.core.mu.Lock()
	defer c.core.mu.Unlock()
	return c.put(dbk, v, exp)
}

// Put stores v at k. ttl > 0 sets the entry's time to live, 0 uses the
// cache's TTL, < 0 means it never expires. Durable against a killed process
// once it returns (see Cache), or at the next commit for the Deferred view.
func (c *Cache) Put(k, v any, ttl time.Duration) (err error) {
	defer c.core.store.guard(&err)
	if err := c.check(); err != nil {
		return err
	}
	core := c.core
	core.mu.Lock()
	defer core.mu.Unlock()
	dbk, err := appendKey(append(core.keyBuf[:0], core.prefix...), k, 0)
	if err != nil {
		return err
	}
	core.keyBuf = dbk
	b, err := appendEntry(core.valBuf[:0], v, c.expiry(ttl))
	if err != nil {
		return err
	}
	core.valBuf = b
	return c.write1(dbk, b)
}

func (c *Cache) put(dbk []byte, v any, exp int64) error {
	b, err := encodeEntry(v, exp)
	if err != nil {
		return err
	}
	return c.write1(dbk, b)
}

// PutMany stores every entry of kvs in one atomic write, with ttl as for
// Put. A bad key or value stores nothing.
func (c *Cache) PutMany(kvs []KV, ttl time.Duration) (err error) {
	defer c.core.store.guard(&err)
	if err := c.check(); err != nil {
		return err
	}
	c.core.mu.Lock()
	defer c.core.mu.Unlock()
	exp := c.expiry(ttl)
	var w writes
	for _, kv := range kvs {
		key, err := EncodeKey(kv.Key)
		if err != nil {
			return err
		}
		b, err := encodeEntry(kv.Value, exp)
		if err != nil {
			return fmt.Errorf("value at %s: %w", FormatKey(kv.Key), err)
		}
		w.put(c.dbKey(key), b)
	}
	return c.apply(&w)
}

// Delete removes k; a missing key is not an error.
func (c *Cache) Delete(k any) (err error) {
	defer c.core.store.guard(&err)
	dbk, err := c.encode(k)
	if err != nil {
		return err
	}
	c.core.mu.Lock()
	defer c.core.mu.Unlock()
	return c.write1(dbk, nil)
}

// Incr adds by to the number at k (a missing or expired key counts as 0),
// stores the sum with the cache's TTL and returns it. It is atomic: the read
// and the write happen under the cache's write mutex. The sum stays an int64
// while both operands are integers and it does not overflow, else it is a
// float64. A value that is not a number gives an error wrapping
// ErrNotNumber: `value at "hits" is a string, not a number`.
func (c *Cache) Incr(k any, by float64) (_ float64, err error) {
	defer c.core.store.guard(&err)
	if err := c.check(); err != nil {
		return 0, err
	}
	core := c.core
	core.mu.Lock()
	defer core.mu.Unlock()
	// The key in the cache's buffer, as Put does: every write copies it.
	dbk, err := appendKey(append(core.keyBuf[:0], core.prefix...), k, 0)
	if err != nil {
		return 0, err
	}
	core.keyBuf = dbk
	b, err := c.raw(dbk)
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
	nb, err := appendEntry(core.valBuf[:0], sum, c.expiry(0))
	if err != nil {
		return 0, err
	}
	core.valBuf = nb
	if err := c.write1(dbk, nb); err != nil {
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
func (c *Cache) Update(k any, fn func(old any, ok bool) (new any, del bool, err error)) (_ any, err error) {
	defer c.core.store.guard(&err)
	dbk, err := c.encode(k)
	if err != nil {
		return nil, err
	}
	c.core.mu.Lock()
	defer c.core.mu.Unlock()
	b, err := c.raw(dbk)
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
		return nil, c.write1(dbk, nil)
	}
	return nv, c.put(dbk, nv, c.expiry(0))
}
