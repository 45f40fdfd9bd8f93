package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// Earlier versions kept one goleveldb database per cache and per collector
// state:
//
//	DIR/cache/NAME/   entries keyed by the key encoding, valued as today
//	DIR/state/NAME/   one entry "v": the saved value
const (
	legacyCacheDir = "cache"
	legacyStateDir = "state"
)

// legacyStateKey is the single key of an old collector state database.
var legacyStateKey = []byte("v")

// migrate imports the databases of the earlier layout under dir into db
// and removes them. Each old database is copied in batches, the last one
// fsynced, before its directory is removed, so a crash during the import
// leaves it in place to be imported again (the copy overwrites the same
// keys). An old database held by a running process of an earlier version is
// a *LockedError; a damaged one a *CorruptedError naming its directory.
func migrate(dir string, db *leveldb.DB) error {
	for _, kind := range []string{legacyCacheDir, legacyStateDir} {
		root := filepath.Join(dir, kind)
		ents, err := os.ReadDir(root)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("import %s: %w", root, err)
		}
		for _, e := range ents {
			if !e.IsDir() || checkName(kind, e.Name()) != nil {
				continue
			}
			if err := importLegacy(db, kind, e.Name(), filepath.Join(root, e.Name()), dir); err != nil {
				return err
			}
		}
		if err := os.Remove(root); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("import %s: %w", root, err)
		}
	}
	return nil
}

// importLegacy copies one old database into db and removes it.
func importLegacy(db *leveldb.DB, kind, name, path, dir string) error {
	if err := checkCurrent(path); err != nil {
		return &CorruptedError{Dir: dir, Path: path, Err: err}
	}
	old, err := leveldb.OpenFile(path, &opt.Options{ErrorIfMissing: true})
	if err != nil {
		if isLockError(err) {
			return lockedError(dir, path)
		}
		return &CorruptedError{Dir: dir, Path: path, Err: err}
	}
	var batch leveldb.Batch
	flush := func(sync bool) error {
		if err := db.Write(&batch, writeOptions(sync)); err != nil {
			return fmt.Errorf("import %s: %w", path, err)
		}
		batch.Reset()
		return nil
	}
	if kind == legacyCacheDir {
		batch.Put(nsKey(nsRegister, name), nil)
	}
	prefix := cachePrefix(name)
	it := old.NewIterator(nil, nil)
	for it.Next() {
		switch {
		case kind == legacyStateDir && string(it.Key()) == string(legacyStateKey):
			batch.Put(nsKey(nsState, name), it.Value())
		case kind == legacyCacheDir:
			k := make([]byte, 0, len(prefix)+len(it.Key()))
			batch.Put(append(append(k, prefix...), it.Key()...), it.Value())
		}
		if batch.Len() >= 1000 {
			if err := flush(false); err != nil {
				it.Release()
				return errors.Join(err, old.Close())
			}
		}
	}
	it.Release()
	err = it.Error()
	if err == nil {
		err = flush(true)
	}
	if err = errors.Join(err, old.Close()); err != nil {
		return err
	}
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("import %s: remove: %w", path, err)
	}
	return nil
}
