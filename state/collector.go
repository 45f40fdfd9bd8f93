package state

import (
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// Collector state
//
// state.load/state.save keep one value per name for cron collectors, at
// 's' NAME in the state directory's database (layout.go). A goleveldb write
// is one journal record with a checksum, so a save is atomic: after kill -9
// or power loss a reader sees the old value or the new one, never a torn
// mix. Save writes with Sync, so it is on disk when it returns;
// SaveDeferred leaves the value with the pending writes that the next
// commit stores together with source positions (state.save inside a handler
// of a positioned source).

// Load returns the value last saved under name (state.load), and false when
// nothing was saved yet; a deferred save not yet committed counts. The first
// use opens and locks the state directory's database; errors as for
// Store.Cache.
func (s *Store) Load(name string) (_ any, _ bool, err error) {
	defer s.guard(&err)
	if err := checkName("state", name); err != nil {
		return nil, false, err
	}
	s.used.Store(true)
	key := nsKey(nsState, name)
	if val, deleted, found := s.pend.Load().get(key); found {
		if deleted {
			return nil, false, nil
		}
		return s.decodeState(name, val)
	}
	db, err := s.open()
	if err != nil {
		return nil, false, err
	}
	b, err := db.Get(key, nil)
	if err == leveldb.ErrNotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, s.classify(err)
	}
	return s.decodeState(name, b)
}

func (s *Store) decodeState(name string, b []byte) (any, bool, error) {
	v, err := DecodeValue(b)
	if err != nil {
		return nil, false, fmt.Errorf("state %q: %w", name, err)
	}
	return v, true, nil
}

// Save atomically replaces the value saved under name (state.save) with v: a
// reader, or the next run after a crash, sees either the old value or v. It
// fsyncs before returning, so v survives kill -9 and power loss. It blocks
// for the fsync (milliseconds on most disks); collectors save rarely.
func (s *Store) Save(name string, v any) (err error) {
	defer s.guard(&err)
	key, b, err := s.stateEntry(name, v)
	if err != nil {
		return err
	}
	db, err := s.open()
	if err != nil {
		return err
	}
	s.txMu.RLock()
	if p := s.pend.Load(); p.has(key) {
		p.put(key, b)
	}
	s.txMu.RUnlock()
	if err := db.Put(key, b, &opt.WriteOptions{Sync: true}); err != nil {
		return s.classify(err)
	}
	return nil
}

// SaveDeferred replaces the value saved under name with v among the pending
// writes: Load sees it at once, the next Store.Commit stores it.
func (s *Store) SaveDeferred(name string, v any) error {
	key, b, err := s.stateEntry(name, v)
	if err != nil {
		return err
	}
	if _, err := s.open(); err != nil {
		return err
	}
	s.txMu.RLock()
	s.pend.Load().put(key, b)
	s.txMu.RUnlock()
	return nil
}

// DeleteSaved deletes the value saved under name, for `streamctl state del
// state/NAME`: Load then reports nothing saved, and state.load returns its
// default. It opens (and locks) the database and fsyncs.
func (s *Store) DeleteSaved(name string) (err error) {
	defer s.guard(&err)
	if err := checkName("state", name); err != nil {
		return err
	}
	key := nsKey(nsState, name)
	db, err := s.open()
	if err != nil {
		return err
	}
	s.txMu.RLock()
	if p := s.pend.Load(); p.has(key) {
		p.del(key)
	}
	s.txMu.RUnlock()
	if err := db.Delete(key, &opt.WriteOptions{Sync: true}); err != nil {
		return s.classify(err)
	}
	return nil
}

func (s *Store) stateEntry(name string, v any) (key, val []byte, err error) {
	if err := checkName("state", name); err != nil {
		return nil, nil, err
	}
	s.used.Store(true)
	b, err := EncodeValue(v)
	if err != nil {
		return nil, nil, fmt.Errorf("state %q: %w", name, err)
	}
	return nsKey(nsState, name), b, nil
}
