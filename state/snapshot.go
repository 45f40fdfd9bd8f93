package state

import (
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// Snapshot is a consistent, read-only view of the state directory as of
// the last commit: what a restart would find. Pending deferred writes are
// not in it. The job holding a state directory serves snapshots to
// `streamctl state ls|get|dump` of other processes (package live). Release
// it when done. Its methods are safe for concurrent use.
type Snapshot struct {
	s    *Store
	snap *leveldb.Snapshot
	now  int64
}

// Snapshot takes a snapshot of the database, which this process must hold
// (opened by an earlier call); ErrClosed when it is closed or not open.
func (s *Store) Snapshot() (*Snapshot, error) {
	s.mu.Lock()
	db := s.db
	s.mu.Unlock()
	if db == nil {
		return nil, errorf(ErrClosed, "state directory %s is not open", s.dir)
	}
	snap, err := db.GetSnapshot()
	if err != nil {
		return nil, s.classify(err)
	}
	return &Snapshot{s: s, snap: snap, now: s.cfg.now().UnixNano()}, nil
}

// Release releases the snapshot.
func (sn *Snapshot) Release() { sn.snap.Release() }

// Names lists the caches and collector states as Store.Names does.
func (sn *Snapshot) Names() (_ []string, err error) {
	defer sn.s.guard(&err)
	return sn.s.names(sn.snap)
}

// Has reports whether the cache or "state/NAME" name exists.
func (sn *Snapshot) Has(name string) (_ bool, err error) {
	defer sn.s.guard(&err)
	return sn.s.has(sn.snap, name)
}

// RawEntry is one entry of a cache as stored: its key encoding (EncodeKey;
// nil for a collector state), its value encoding (EncodeValue) and its
// expiry in Unix nanoseconds (0 for never).
type RawEntry struct {
	Key, Value []byte
	Expires    int64
}

// Entries calls fn with every live entry of the cache name in key order, or
// once with the saved value of "state/NAME" (not at all when none was
// saved). fn's error stops it and is returned. The slices are valid during
// the call only.
func (sn *Snapshot) Entries(name string, fn func(RawEntry) error) (err error) {
	defer sn.s.guard(&err)
	kind, bare, err := splitName(name)
	if err != nil {
		return err
	}
	if kind == "state" {
		b, err := sn.snap.Get(nsKey(nsState, bare), nil)
		if err == leveldb.ErrNotFound {
			return nil
		}
		if err != nil {
			return sn.s.classify(err)
		}
		return fn(RawEntry{Value: b})
	}
	if ok, err := registeredAs(sn.snap, bare, kindPartitioned); err != nil || ok {
		if err == nil {
			err = shardEntries(sn.snap, bare, sn.now, fn)
		}
		return err
	}
	prefix := cachePrefix(bare)
	it := sn.snap.NewIterator(util.BytesPrefix(prefix), nil)
	defer it.Release()
	for it.Next() {
		exp, off, err := entryExpiry(it.Value())
		if err != nil {
			return sn.s.classify(err)
		}
		if exp != 0 && sn.now >= exp {
			continue
		}
		if err := fn(RawEntry{Key: it.Key()[len(prefix):], Value: it.Value()[off:], Expires: exp}); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return sn.s.classify(err)
	}
	return nil
}

// Get returns the live entry at the key encoding key of the cache name, or
// the saved value of "state/NAME" (key ignored); ok false when absent.
func (sn *Snapshot) Get(name string, key []byte) (_ RawEntry, ok bool, err error) {
	defer sn.s.guard(&err)
	kind, bare, err := splitName(name)
	if err != nil {
		return RawEntry{}, false, err
	}
	if kind == "cache" {
		if ok, err := registeredAs(sn.snap, bare, kindPartitioned); err != nil || ok {
			if err != nil {
				return RawEntry{}, false, sn.s.classify(err)
			}
			return shardGet(sn.snap, bare, key, sn.now)
		}
	}
	dbk := nsKey(nsState, bare)
	if kind == "cache" {
		dbk = append(cachePrefix(bare), key...)
	}
	b, err := sn.snap.Get(dbk, nil)
	if err == leveldb.ErrNotFound {
		return RawEntry{}, false, nil
	}
	if err != nil {
		return RawEntry{}, false, sn.s.classify(err)
	}
	if kind == "state" {
		return RawEntry{Value: b}, true, nil
	}
	exp, off, err := entryExpiry(b)
	if err != nil {
		return RawEntry{}, false, sn.s.classify(err)
	}
	if exp != 0 && sn.now >= exp {
		return RawEntry{}, false, nil
	}
	return RawEntry{Key: key, Value: b[off:], Expires: exp}, true, nil
}
