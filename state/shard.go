package state

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// Partitioned and global caches
//
// A partitioned cache NAME (api.md section 11) keeps one cache per
// partition of its Kafka topic, a shard, stored as the internal cache
// NAME#P: its entries are at 'c' NAME '#' P 0x00 KEY ('#' is not allowed in
// names, so no user cache collides). Only NAME is registered ('n' NAME
// holding "partitioned"), so Names lists it once, and Dump and Get of NAME
// read every shard the directory holds, in partition order.
//
// A global cache is one cache registered as "global": every process holds
// all of it, written only from its topic (ApplyRaw).
//
// The runtime keeps both in step with Kafka topics: a commit lists the
// pending writes of each shard (Prepared.Pending) to produce them to the
// shard's changelog, and a restore applies changelog records (ApplyRaw)
// together with the changelog offset reached, atomically.

// Kinds of caches, as registered ('n' NAME holds the kind).
const (
	kindPlain       = ""
	kindPartitioned = "partitioned"
	kindGlobal      = "global"
	// kindShard is a shard NAME#P: not registered.
	kindShard = "shard"
	// kindAny opens a plain or global cache as it is registered (dumps,
	// reads).
	kindAny = "any"
)

// ShardName returns the internal cache name of shard p of the partitioned
// cache name: "NAME#P".
func ShardName(name string, p int32) string { return name + "#" + strconv.Itoa(int(p)) }

// kindError says that a cache is registered as another kind.
func kindError(name, have, want string) error {
	describe := func(k string) string {
		switch k {
		case kindPartitioned:
			return "a partitioned cache (one shard per partition of a Kafka topic, written by its handlers)"
		case kindGlobal:
			return "a global cache (written through its Kafka topic)"
		}
		return "a plain cache"
	}
	return errorf(ErrConfig, "cache %q is %s, not %s", name, describe(have), describe(want))
}

// register returns the kind name is registered with, registering it as
// kind when it is not. A plain cache without entries may become a global or
// partitioned one; other changes of kind are ErrConfig errors. kindAny
// registers a missing name as plain.
func (s *Store) register(db *leveldb.DB, name, kind string) (string, error) {
	reg := nsKey(nsRegister, name)
	b, err := db.Get(reg, nil)
	if err != nil && err != leveldb.ErrNotFound {
		return "", s.classify(err)
	}
	have, found := string(b), err == nil
	if found && (have == kind || (kind == kindAny && have != kindPartitioned)) {
		return have, nil
	}
	if kind == kindAny {
		if found {
			return "", kindError(name, have, kindPlain)
		}
		kind = kindPlain
	}
	if found {
		if have != kindPlain || kind == kindPlain {
			return "", kindError(name, have, kind)
		}
		it := db.NewIterator(util.BytesPrefix(cachePrefix(name)), nil)
		empty := !it.First()
		it.Release()
		if !empty {
			return "", errorf(ErrConfig, "cache %q holds entries as a plain cache; clear it (streamctl state clear %s) or use another name", name, name)
		}
	}
	if err := db.Put(reg, []byte(kind), nil); err != nil {
		return "", s.classify(err)
	}
	return kind, nil
}

// Partitioned registers name as a partitioned cache, opening the state
// directory's database (errors as for Store.Cache). Its shards are opened
// with Shard as partitions are assigned. A plain cache name without entries
// becomes partitioned; one with entries, or a global cache, is an ErrConfig
// error.
func (s *Store) Partitioned(name string) (err error) {
	defer s.guard(&err)
	if err := checkName("cache", name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.caches[name]; ok {
		return kindError(name, c.kind, kindPartitioned)
	}
	db, err := s.database()
	if err != nil {
		return err
	}
	s.used.Store(true)
	_, err = s.register(db, name, kindPartitioned)
	return err
}

// Shard opens shard p of the partitioned cache name (registered with
// Partitioned) as a cache of its own, like Store.Cache: its Deferred view
// takes a handler's writes, ApplyRaw a restore's. Close it when the
// partition goes.
func (s *Store) Shard(name string, p int32, cfg CacheConfig) (*Cache, error) {
	if cfg.Memory {
		return nil, errorf(ErrConfig, "cache %q: a partitioned cache cannot be a memory cache", name)
	}
	return s.openCache(ShardName(name, p), cfg, kindShard)
}

// GlobalCache opens name as the local copy of a global cache: written with
// ApplyRaw from its topic, read like any cache. A plain cache name without
// entries becomes global; one with entries, or a partitioned cache, is an
// ErrConfig error.
func (s *Store) GlobalCache(name string, cfg CacheConfig) (*Cache, error) {
	if cfg.Memory {
		return nil, errorf(ErrConfig, "cache %q: a global cache cannot be a memory cache", name)
	}
	return s.openCache(name, cfg, kindGlobal)
}

// Use marks the store as used: the runtime then commits with source
// positions even when no cache was opened (a Kafka transaction keeps its
// id in the state directory).
func (s *Store) Use() { s.used.Store(true) }

// PutPosition stores pos at the position key at once (durable against a
// killed process when it returns); a nil pos deletes it. It opens the
// database. For what a run keeps besides source positions (its Kafka
// transactional id).
func (s *Store) PutPosition(key string, pos []byte) (err error) {
	defer s.guard(&err)
	db, err := s.open()
	if err != nil {
		return err
	}
	if pos == nil {
		err = db.Delete(nsKey(nsPosition, key), nil)
	} else {
		err = db.Put(nsKey(nsPosition, key), pos, nil)
	}
	if err != nil {
		return s.classify(err)
	}
	return nil
}

// RawKV is one entry as a changelog carries it: Key a key encoding
// (EncodeKey) and Entry a stored entry as Prepared.Pending reports it (the
// expiry and the value encoding), nil for a deletion.
type RawKV struct {
	Key, Entry []byte
}

// ApplyRaw writes entries (changelog records, in order) and positions
// (position key -> value; nil deletes the position) in one atomic batch,
// durable as an immediate write: a restore applies a batch of changelog
// records with the changelog offset after them, so after a crash the cache
// and its offset agree. Pending writes of the same keys are replaced, so
// reads see the applied entries. An entry that is not an entry encoding
// writes nothing and returns an error wrapping ErrBadValue.
func (c *Cache) ApplyRaw(entries []RawKV, positions map[string][]byte) (err error) {
	defer c.core.store.guard(&err)
	if err := c.check(); err != nil {
		return err
	}
	if c.core.prefix == nil {
		return fmt.Errorf("cache %q: a memory cache has no changelog", c.core.name)
	}
	var w writes
	for _, e := range entries {
		if e.Entry != nil {
			if _, _, err := entryExpiry(e.Entry); err != nil {
				return fmt.Errorf("cache %q: changelog entry %x: %w", c.core.name, e.Key, err)
			}
			w.put(c.dbKey(e.Key), e.Entry)
		} else {
			w.del(c.dbKey(e.Key))
		}
	}
	core := c.core
	s := core.store
	core.mu.Lock()
	defer core.mu.Unlock()
	w.toPending(s, false)
	var batch leveldb.Batch
	w.addTo(&batch)
	for _, key := range sortedKeys(positions) {
		if v := positions[key]; v == nil {
			batch.Delete(nsKey(nsPosition, key))
		} else {
			batch.Put(nsKey(nsPosition, key), v)
		}
	}
	if err := core.db.Write(&batch, writeOptions(core.cfg.Sync)); err != nil {
		return c.fail(err)
	}
	return nil
}

// EncodeEntry returns the stored entry of v written now with ttl (as Put
// takes it): the form ApplyRaw and changelogs carry.
func (c *Cache) EncodeEntry(v any, ttl time.Duration) ([]byte, error) {
	return encodeEntry(v, c.expiry(ttl))
}

// Reset empties the cache as immediate writes, deleting the position keys
// first: a local copy found stale is emptied before it is restored from the
// start, and a crash halfway leaves no position that would claim it whole.
func (c *Cache) Reset(positions ...string) error {
	if len(positions) > 0 {
		del := make(map[string][]byte, len(positions))
		for _, k := range positions {
			del[k] = nil
		}
		if err := c.ApplyRaw(nil, del); err != nil {
			return err
		}
	}
	return c.Clear()
}

func sortedKeys(m map[string][]byte) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// registeredAs reports whether name is registered as kind in r.
func registeredAs(r dbReader, name, kind string) (bool, error) {
	b, err := r.Get(nsKey(nsRegister, name), nil)
	if err == leveldb.ErrNotFound {
		return false, nil
	}
	return err == nil && string(b) == kind, err
}

// isPartitioned reports whether the state directory holds name as a
// partitioned cache, creating nothing.
func (s *Store) isPartitioned(name string) (bool, error) {
	if !s.Exists() {
		return false, nil
	}
	db, err := s.open()
	if err != nil {
		return false, err
	}
	ok, err := registeredAs(db, name, kindPartitioned)
	if err != nil {
		return false, s.classify(err)
	}
	return ok, nil
}

// shardPrefixes returns the entry prefixes ('c' NAME#P 0x00) of the shards
// of the partitioned cache name that hold entries in r, in partition order.
// It seeks from shard to shard rather than reading every entry.
func shardPrefixes(r dbReader, name string) ([][]byte, error) {
	base := append(nsKey(nsCache, name), '#')
	it := r.NewIterator(util.BytesPrefix(base), nil)
	defer it.Release()
	type shard struct {
		p      int
		prefix []byte
	}
	var shards []shard
	for ok := it.First(); ok; {
		k := it.Key()
		i := bytes.IndexByte(k[len(base):], 0)
		p, err := strconv.Atoi(string(k[len(base) : len(base)+max(i, 0)]))
		if i <= 0 || err != nil {
			return nil, fmt.Errorf("cache %q: stored key %x is not in a shard", name, k)
		}
		prefix := bytes.Clone(k[:len(base)+i+1])
		shards = append(shards, shard{p, prefix})
		ok = it.Seek(prefixEnd(prefix))
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	slices.SortFunc(shards, func(a, b shard) int { return a.p - b.p })
	out := make([][]byte, len(shards))
	for i, sh := range shards {
		out[i] = sh.prefix
	}
	return out, nil
}

// shardEntries calls fn with every live entry of every shard of name in r,
// shard by shard in partition order, each in key order.
func shardEntries(r dbReader, name string, now int64, fn func(RawEntry) error) error {
	prefixes, err := shardPrefixes(r, name)
	if err != nil {
		return err
	}
	for _, prefix := range prefixes {
		it := r.NewIterator(util.BytesPrefix(prefix), nil)
		for it.Next() {
			exp, off, err := entryExpiry(it.Value())
			if err != nil {
				it.Release()
				return err
			}
			if exp != 0 && now >= exp {
				continue
			}
			if err := fn(RawEntry{Key: it.Key()[len(prefix):], Value: it.Value()[off:], Expires: exp}); err != nil {
				it.Release()
				return err
			}
		}
		err := it.Error()
		it.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// shardGet returns the live entry at the key encoding key in the first
// shard of name that holds it.
func shardGet(r dbReader, name string, key []byte, now int64) (RawEntry, bool, error) {
	prefixes, err := shardPrefixes(r, name)
	if err != nil {
		return RawEntry{}, false, err
	}
	for _, prefix := range prefixes {
		b, err := r.Get(append(prefix, key...), nil)
		if err == leveldb.ErrNotFound {
			continue
		}
		if err != nil {
			return RawEntry{}, false, err
		}
		exp, off, err := entryExpiry(b)
		if err != nil {
			return RawEntry{}, false, err
		}
		if exp != 0 && now >= exp {
			continue
		}
		return RawEntry{Key: key, Value: b[off:], Expires: exp}, true, nil
	}
	return RawEntry{}, false, nil
}

// dumpShards is Dump of a partitioned cache: the committed entries of every
// shard the directory holds.
func (s *Store) dumpShards(bare, name string, fn func(DumpLine) error) error {
	db, err := s.open()
	if err != nil {
		return err
	}
	var ferr error
	err = shardEntries(db, bare, s.cfg.now().UnixNano(), func(e RawEntry) error {
		l, err := rawDumpLine(name, e)
		if err == nil {
			err = fn(l)
		}
		ferr = err
		return err
	})
	if ferr != nil {
		return ferr
	}
	if err != nil {
		return s.classify(err)
	}
	return nil
}

// getShards is Get of a partitioned cache.
func (s *Store) getShards(bare string, key any) (any, bool, error) {
	k, err := EncodeKey(key)
	if err != nil {
		return nil, false, err
	}
	db, err := s.open()
	if err != nil {
		return nil, false, err
	}
	e, ok, err := shardGet(db, bare, k, s.cfg.now().UnixNano())
	if err != nil || !ok {
		if err != nil {
			err = s.classify(err)
		}
		return nil, false, err
	}
	v, err := DecodeValue(e.Value)
	if err != nil {
		return nil, false, fmt.Errorf("cache %q: entry %s: %w", bare, FormatKey(key), err)
	}
	return v, true, nil
}

// rawDumpLine decodes a raw entry of the cache name.
func rawDumpLine(name string, e RawEntry) (DumpLine, error) {
	l := DumpLine{Cache: name}
	var err error
	if l.Key, err = DecodeKey(e.Key); err != nil {
		return l, err
	}
	if l.Value, err = DecodeValue(e.Value); err != nil {
		return l, fmt.Errorf("entry %s: %w", FormatKey(l.Key), err)
	}
	if e.Expires != 0 {
		l.Expires = time.Unix(0, e.Expires)
	}
	return l, nil
}
