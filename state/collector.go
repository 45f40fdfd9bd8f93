package state

import (
	"fmt"
	"path/filepath"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// Collector state
//
// state.load/state.save keep one value per name for cron collectors. Each
// name is its own goleveldb database at DIR/state/NAME/ holding a single
// entry, rather than a file replaced by write-temp + fsync + rename:
//
//   - The contract (api.md §1) makes every state name a locked database: a
//     second process running the same collector gets *LockedError (exit 75)
//     instead of both saving over each other. A plain file has no such lock.
//   - A goleveldb write is one journal record with a checksum, so a save is
//     atomic: after kill -9 or power loss a reader sees the old value or the
//     new one, never a torn mix; Save writes with Sync, so it is on disk when
//     it returns. The rename dance would also need a directory fsync to be
//     durable, and its temp files need cleaning after a crash.
//   - Locking, pid files, corruption errors, Repair and Names work the same
//     for states as for caches.
//
// The database is opened (and locked) by the first Load or Save of the name
// and stays open until Store.Close: a collector holds its state for the
// whole run.

// stateKey is the single key of a state database.
var stateKey = []byte("v")

// stateDB returns the open database of a state name, opening it once.
func (s *Store) stateDB(name string) (*leveldb.DB, error) {
	if err := checkName("state", name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errorf(ErrClosed, "state %q: the state store is closed", name)
	}
	if db, ok := s.states[name]; ok {
		return db, nil
	}
	db, err := openDB("state", name, filepath.Join(s.dir, stateDir, name))
	if err != nil {
		return nil, err
	}
	s.states[name] = db
	return db, nil
}

// Load returns the value last saved under name (state.load), and false when
// nothing was saved yet. The first Load or Save of a name opens and locks
// DIR/state/NAME/ until Store.Close; errors as for Store.Cache.
func (s *Store) Load(name string) (any, bool, error) {
	db, err := s.stateDB(name)
	if err != nil {
		return nil, false, err
	}
	b, err := db.Get(stateKey, nil)
	if err == leveldb.ErrNotFound {
		return nil, false, nil
	}
	dir := filepath.Join(s.dir, stateDir, name)
	if err != nil {
		return nil, false, classify("state", statePrefix+name, dir, err)
	}
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
func (s *Store) Save(name string, v any) error {
	b, err := EncodeValue(v)
	if err != nil {
		return fmt.Errorf("state %q: %w", name, err)
	}
	db, err := s.stateDB(name)
	if err != nil {
		return err
	}
	if err := db.Put(stateKey, b, &opt.WriteOptions{Sync: true}); err != nil {
		return classify("state", statePrefix+name, filepath.Join(s.dir, stateDir, name), err)
	}
	return nil
}

// DeleteSaved deletes the value saved under name, for `streamctl state del
// state/NAME`: Load then reports nothing saved, and state.load returns its
// default. Like Save it opens (and locks) the database and fsyncs.
func (s *Store) DeleteSaved(name string) error {
	db, err := s.stateDB(name)
	if err != nil {
		return err
	}
	if err := db.Delete(stateKey, &opt.WriteOptions{Sync: true}); err != nil {
		return classify("state", statePrefix+name, filepath.Join(s.dir, stateDir, name), err)
	}
	return nil
}
