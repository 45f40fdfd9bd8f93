// Package state stores the persistent caches, collector state and source
// positions of a streamctl state directory in one goleveldb database. It is
// plain Go: the Lua bindings (cache.open, state.load/save, windows,
// checkpoints) and the `streamctl state` CLI sit on top of it.
//
// Layout of a state directory DIR:
//
//	DIR/db/     the goleveldb database (see layout.go for its keys)
//
// The database is locked by the process that opened it (see lock.go): one
// job holds a state directory at a time; a second process gets a
// *LockedError (exit code 75) naming the holder's pid. Directories written
// by earlier versions, with one database per cache (DIR/cache/NAME/) and per
// collector state (DIR/state/NAME/), are imported on first open
// (migrate.go).
//
// Keys use an order-preserving encoding (keys.go) so that ranges, prefixes,
// Floor and Ceil follow the key order; values use an exact tagged binary
// encoding (values.go).
//
// Writes come in two kinds (see Cache.Deferred and commit.go):
//
//   - Immediate writes (a Cache from Store.Cache, Store.Save) are in
//     goleveldb's journal when the call returns: goleveldb appends every
//     write with a write(2), so it survives the process being killed
//     (kill -9). Surviving power loss or an OS crash needs fsync:
//     CacheConfig.Sync for caches; Store.Save always syncs.
//   - Deferred writes (a Cache's Deferred view, Store.SaveDeferred) wait in
//     memory, visible to every read of the process, until Store.Commit
//     writes all of them together with the positions of the sources they
//     came from, in one atomic batch.
package state

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/iterator"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/storage"
	"github.com/syndtr/goleveldb/leveldb/util"
)

const (
	dbDir       = "db"
	statePrefix = "state/" // how Names, Dump and the CLI spell state names
)

// Store is an open state directory. It hands out caches and collector state
// by name; a name opened twice in one process is the same cache. Open itself
// creates and locks nothing: the database is opened (and locked) by the
// first call that needs it. A Store is safe for concurrent use.
type Store struct {
	dir string
	cfg cfg

	mu     sync.Mutex
	closed bool
	db     *leveldb.DB // nil until opened
	caches map[string]*cacheCore
	hooks  map[int]func() error
	hookID int

	// pend holds the deferred writes since the last commit. Writers of
	// deferred writes hold txMu for reading, Commit holds it for writing
	// while it writes pend and swaps in a new one.
	pend atomic.Pointer[pending]
	txMu sync.RWMutex
	used atomic.Bool // a cache or collector state was opened
}

// cfg holds the Go-only knobs set by Opt.
type cfg struct {
	now    func() time.Time
	sweep  time.Duration
	log    *slog.Logger
	onOpen func(*Store) error
}

func defaultCfg() cfg {
	return cfg{now: time.Now, sweep: time.Minute, log: slog.New(slog.DiscardHandler)}
}

// Opt is an option for Open.
type Opt interface{ apply(*cfg) }

type optFunc func(*cfg)

func (f optFunc) apply(c *cfg) { f(c) }

// WithClock sets the clock that TTLs are measured against, overriding the
// default of time.Now. Tests use it to expire entries without waiting.
func WithClock(now func() time.Time) Opt { return optFunc(func(c *cfg) { c.now = now }) }

// WithSweepInterval sets how often each cache's background goroutine deletes
// expired entries, overriding the default of 1m. Zero or less disables the
// background sweep (expired entries stay invisible and are deleted by Sweep).
func WithSweepInterval(d time.Duration) Opt { return optFunc(func(c *cfg) { c.sweep = d }) }

// WithLogger sets where background sweep failures are logged, overriding the
// default of discarding them.
func WithLogger(l *slog.Logger) Opt { return optFunc(func(c *cfg) { c.log = l }) }

// WithOnOpen sets a function called once the database was opened and
// locked by this process (package live starts serving reads then). It runs
// while the Store is locked: it must not call the Store's methods, only
// start what calls them later. Its error fails the open.
func WithOnOpen(fn func(*Store) error) Opt { return optFunc(func(c *cfg) { c.onOpen = fn }) }

// Open returns the state directory dir. It creates nothing, opens no
// database and starts no goroutine: the directory and its database are
// created when a cache or a state name is first opened (Store.Cache, Load,
// Save), so reads (Names, Dump, CheckExists) of a directory that does not
// exist leave none behind. Close the Store at shutdown.
func Open(dir string, opts ...Opt) (*Store, error) {
	if dir == "" {
		return nil, errors.New("state directory: empty path")
	}
	c := defaultCfg()
	for _, o := range opts {
		o.apply(&c)
	}
	s := &Store{dir: dir, cfg: c, caches: map[string]*cacheCore{}, hooks: map[int]func() error{}}
	s.pend.Store(newPending())
	return s, nil
}

// Dir returns the state directory.
func (s *Store) Dir() string { return s.dir }

// InUse reports whether a cache (memory caches included) or a collector
// state was opened: the runtime commits only the state of a script that
// uses it.
func (s *Store) InUse() bool { return s.used.Load() }

// dbPath returns the database directory.
func (s *Store) dbPath() string { return filepath.Join(s.dir, dbDir) }

// Exists reports whether the state directory holds a database (or the
// layout of an earlier version, which the first open imports). Read-only
// commands use it to tell "nothing stored yet" from an empty store without
// creating anything.
func (s *Store) Exists() bool {
	for _, p := range []string{s.dbPath(), filepath.Join(s.dir, legacyCacheDir), filepath.Join(s.dir, legacyStateDir)} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// database returns the open database, opening (creating, locking and, for
// an earlier layout, importing) it on first use. Under s.mu.
func (s *Store) database() (*leveldb.DB, error) {
	if s.closed {
		return nil, errorf(ErrClosed, "state directory %s is closed", s.dir)
	}
	if s.db != nil {
		return s.db, nil
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	path := s.dbPath()
	if err := checkCurrent(path); err != nil {
		return nil, &CorruptedError{Dir: s.dir, Path: path, Err: err}
	}
	db, err := leveldb.OpenFile(path, nil)
	if err != nil {
		return nil, s.classify(err)
	}
	if err := writePID(path); err != nil {
		return nil, errors.Join(fmt.Errorf("state directory %s: record holder pid: %w", s.dir, err), db.Close())
	}
	if err := migrate(s.dir, db); err != nil {
		return nil, errors.Join(err, closeDB(db, path))
	}
	s.db = db
	if s.cfg.onOpen != nil {
		if err := s.cfg.onOpen(s); err != nil {
			s.db = nil
			return nil, errors.Join(err, closeDB(db, path))
		}
	}
	return db, nil
}

// open returns the database for callers outside s.mu.
func (s *Store) open() (*leveldb.DB, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.database()
}

// classify turns an error of opening or reading the database into a
// *LockedError, a *CorruptedError or a plain wrapped error.
func (s *Store) classify(err error) error {
	var missing *lerrors.ErrMissingFiles
	switch {
	case isLockError(err):
		return lockedError(s.dir, s.dbPath())
	case lerrors.IsCorrupted(err) || errors.As(err, &missing):
		return &CorruptedError{Dir: s.dir, Path: s.dbPath(), Err: err}
	case errors.Is(err, leveldb.ErrClosed):
		return errorf(ErrClosed, "state directory %s is closed", s.dir)
	}
	return fmt.Errorf("state directory %s: %w", s.dir, err)
}

// Close closes every cache still open, whatever their reference counts,
// stopping their sweep goroutines, then the database, releasing its lock.
// Deferred writes not committed are dropped: commit first. It is safe to
// call twice. Errors of the individual closes are joined.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed = true
	caches := s.caches
	db := s.db
	s.caches, s.db = map[string]*cacheCore{}, nil
	s.mu.Unlock()

	var errs []error
	for _, name := range slices.Sorted(maps.Keys(caches)) {
		errs = append(errs, caches[name].shutdown())
	}
	if db != nil {
		if err := closeDB(db, s.dbPath()); err != nil {
			errs = append(errs, fmt.Errorf("state directory %s: close: %w", s.dir, err))
		}
	}
	return errors.Join(errs...)
}

// checkName enforces the rule for cache and state names.
func checkName(kind, name string) error {
	ok := name != "" && len(name) <= 200 && name != "." && !strings.Contains(name, "..")
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
	}
	if !ok {
		return errorf(ErrBadName, "%s name %q must match [A-Za-z0-9_.-]+ (at most 200 characters, no \"..\")", kind, name)
	}
	return nil
}

// checkCurrent catches a database whose CURRENT file is gone while its data
// files remain: goleveldb would silently start an empty database there.
func checkCurrent(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil // missing: a new database; other errors surface in OpenFile
	}
	data := false
	for _, e := range ents {
		n := e.Name()
		if n == "CURRENT" {
			return nil
		}
		if strings.HasPrefix(n, "MANIFEST-") || strings.HasSuffix(n, ".ldb") || strings.HasSuffix(n, ".log") {
			data = true
		}
	}
	if data {
		return errors.New("the CURRENT file is missing")
	}
	return nil
}

// closeDB closes db and removes its pid file.
func closeDB(db *leveldb.DB, dir string) error {
	err := db.Close()
	return errors.Join(err, removePID(dir))
}

// Names lists the persistent caches and collector states of the state
// directory, for `streamctl state ls`: cache names as is, state names as
// "state/NAME", sorted. A state directory without a database lists nothing
// and is not created; one that does not exist is an error wrapping
// ErrNotExist.
func (s *Store) Names() (_ []string, err error) {
	defer s.guard(&err)
	if !s.Exists() {
		if _, err := os.Stat(s.dir); err != nil {
			if os.IsNotExist(err) {
				return nil, errorf(ErrNotExist, "state directory %s does not exist", s.dir)
			}
			return nil, fmt.Errorf("state directory: %w", err)
		}
		return nil, nil
	}
	db, err := s.open()
	if err != nil {
		return nil, err
	}
	return s.names(db)
}

// dbReader is what reads need of the database or of a snapshot of it.
type dbReader interface {
	Has(key []byte, ro *opt.ReadOptions) (bool, error)
	Get(key []byte, ro *opt.ReadOptions) ([]byte, error)
	NewIterator(slice *util.Range, ro *opt.ReadOptions) iterator.Iterator
}

// names lists the registered caches and the saved states of r.
func (s *Store) names(r dbReader) ([]string, error) {
	var names []string
	for _, ns := range []byte{nsRegister, nsState} {
		it := r.NewIterator(util.BytesPrefix([]byte{ns}), nil)
		for it.Next() {
			name := string(it.Key()[1:])
			if ns == nsState {
				name = statePrefix + name
			}
			names = append(names, name)
		}
		it.Release()
		if err := it.Error(); err != nil {
			return nil, s.classify(err)
		}
	}
	slices.Sort(names)
	return names, nil
}

// has reports whether r holds the cache or "state/NAME" name.
func (s *Store) has(r dbReader, name string) (bool, error) {
	kind, bare, err := splitName(name)
	if err != nil {
		return false, err
	}
	ns := byte(nsRegister)
	if kind == "state" {
		ns = nsState
	}
	ok, err := r.Has(nsKey(ns, bare), nil)
	if err != nil {
		return false, s.classify(err)
	}
	return ok, nil
}

// Has reports whether the state directory holds the cache or "state/NAME"
// name (as Names lists them), without creating anything.
func (s *Store) Has(name string) (_ bool, err error) {
	defer s.guard(&err)
	kind, bare, err := splitName(name)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	if c, ok := s.caches[bare]; ok && kind == "cache" && c.cfg.Memory {
		s.mu.Unlock()
		return true, nil
	}
	s.mu.Unlock()
	if !s.Exists() {
		return false, nil
	}
	db, err := s.open()
	if err != nil {
		return false, err
	}
	return s.has(db, name)
}

// splitName maps a name as Names prints it to its kind and bare name.
func splitName(name string) (kind, bare string, err error) {
	kind, bare = "cache", name
	if rest, ok := strings.CutPrefix(name, statePrefix); ok {
		kind, bare = "state", rest
	}
	if err := checkName(kind, bare); err != nil {
		return "", "", err
	}
	return kind, bare, nil
}

// CheckExists returns nil when the cache name (or "state/NAME", as Names
// spells it) exists: open in this process, or in the state directory's
// database. Otherwise it returns an error wrapping ErrNotExist, `cache NAME
// does not exist in DIR` (NotExist); ErrBadName for a bad name. It creates
// nothing, for the CLI's reads and deletes.
func (s *Store) CheckExists(name string) error {
	ok, err := s.Has(name)
	if err != nil {
		return err
	}
	if !ok {
		return NotExist(s.dir, name)
	}
	return nil
}

// Repair rebuilds the databases of the state directory dir (and any left
// from an earlier layout), for `streamctl state repair`: leveldb.RecoverFile
// rebuilds the manifest from the table files and replays the journals, then
// every entry that is still readable is copied into a fresh database that
// replaces the old one, so damaged table blocks are left behind. No process
// may hold the state directory (a *LockedError says who does). It blocks
// until the databases are rebuilt and closed, and returns how many entries
// it kept.
func Repair(dir string) (kept int, err error) {
	paths := []string{filepath.Join(dir, dbDir)}
	for _, kind := range []string{legacyCacheDir, legacyStateDir} {
		ents, _ := os.ReadDir(filepath.Join(dir, kind))
		for _, e := range ents {
			if e.IsDir() {
				paths = append(paths, filepath.Join(dir, kind, e.Name()))
			}
		}
	}
	repaired := 0
	for _, path := range paths {
		if _, err := os.Stat(path); err != nil {
			continue
		}
		n, err := repairDB(dir, path)
		if err != nil {
			return kept, err
		}
		kept += n
		repaired++
	}
	if repaired == 0 {
		return 0, fmt.Errorf("repair state directory %s: %w", dir, os.ErrNotExist)
	}
	return kept, nil
}

// repairDB recovers the database at path and rewrites what is readable.
func repairDB(dir, path string) (kept int, err error) {
	fail := func(err error) (int, error) {
		if isLockError(err) {
			return 0, lockedError(dir, path)
		}
		return 0, fmt.Errorf("repair state directory %s: %w", dir, err)
	}
	old, err := leveldb.RecoverFile(path, nil)
	if err != nil {
		return fail(err)
	}
	fresh := path + ".repair"
	if err := os.RemoveAll(fresh); err != nil {
		return fail(errors.Join(err, old.Close()))
	}
	db, err := leveldb.OpenFile(fresh, nil)
	if err != nil {
		return fail(errors.Join(err, old.Close()))
	}
	kept, cerr := copyReadable(old, db)
	if err := errors.Join(cerr, db.Close(), old.Close()); err != nil {
		return fail(err)
	}
	// Swap: a crash between the two renames leaves the old database at
	// path.old and none at path; repairing again is then up to the user,
	// with both copies at hand.
	if err := os.RemoveAll(path + ".old"); err != nil {
		return fail(err)
	}
	if err := os.Rename(path, path+".old"); err != nil {
		return fail(err)
	}
	if err := os.Rename(fresh, path); err != nil {
		return fail(err)
	}
	if err := os.RemoveAll(path + ".old"); err != nil {
		return fail(err)
	}
	return kept, nil
}

// copyReadable copies every entry of src that can be read into dst,
// skipping damaged blocks (a non-strict read) and stopping at data that
// makes goleveldb panic.
func copyReadable(src, dst *leveldb.DB) (n int, err error) {
	var batch leveldb.Batch
	flush := func() error {
		err := dst.Write(&batch, &opt.WriteOptions{Sync: true})
		batch.Reset()
		return err
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				if msg, ok := r.(string); !ok || !strings.HasPrefix(msg, "leveldb: ") {
					panic(r)
				}
			}
		}()
		it := src.NewIterator(nil, &opt.ReadOptions{Strict: opt.StrictOverride})
		defer it.Release()
		for it.Next() {
			batch.Put(it.Key(), it.Value())
			n++
			if batch.Len() >= 1000 {
				if err = flush(); err != nil {
					return
				}
			}
		}
	}()
	if err != nil {
		return n, err
	}
	return n, flush()
}

// Dump calls fn with every live entry of a cache in key order (with its
// expiry time, zero if none), or once with a nil key and the saved value of
// "state/NAME" (not at all if none was saved), for `streamctl state dump`.
// A cache already open in this process is read as it is; otherwise it is
// opened with the default CacheConfig for the duration of the call. A name
// that does not exist is an error wrapping ErrNotExist (CheckExists), and
// nothing is created. fn's error stops the dump and is returned.
func (s *Store) Dump(name string, fn func(DumpLine) error) error {
	kind, bare, err := splitName(name)
	if err != nil {
		return err
	}
	if err := s.CheckExists(name); err != nil {
		return err
	}
	if kind == "state" {
		v, ok, err := s.Load(bare)
		if err != nil || !ok {
			return err
		}
		return fn(DumpLine{Cache: name, Value: v})
	}
	if ok, err := s.isPartitioned(bare); err != nil || ok {
		if err != nil {
			return err
		}
		return s.dumpShards(bare, name, fn)
	}
	c, err := s.acquire(bare, false)
	if err != nil {
		return err
	}
	var ferr error
	err = c.Range(RangeOptions{}, func(k, v any) bool {
		exp, _, err := c.Expires(k)
		if ferr = err; ferr == nil {
			ferr = fn(DumpLine{Cache: name, Key: k, Value: v, Expires: exp})
		}
		return ferr == nil
	})
	if ferr != nil {
		err = ferr
	}
	return withClose(err, c.Close())
}

// LoadDump writes records read by next into a cache (or saves the value of
// "state/NAME": the last record wins), for `streamctl state load`; their
// Cache field is not looked at. next returns io.EOF after the last record.
// Cache entries get their Expires, else the cache's default TTL; those
// without Expires are written in batches of 1000, each durable when written.
func (s *Store) LoadDump(name string, next func() (DumpLine, error)) error {
	kind, bare, err := splitName(name)
	if err != nil {
		return err
	}
	if kind == "state" {
		var last any
		seen := false
		for {
			l, err := next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			last, seen = l.Value, true
		}
		if !seen {
			return nil
		}
		return s.Save(bare, last)
	}
	c, err := s.acquire(bare, true)
	if err != nil {
		return err
	}
	var batch []KV
	for {
		l, nerr := next()
		if nerr != nil && nerr != io.EOF {
			err = nerr
			break
		}
		if nerr == nil && !l.Expires.IsZero() {
			if err = c.PutExpiring(l.Key, l.Value, l.Expires); err != nil {
				break
			}
		} else if nerr == nil {
			batch = append(batch, KV{l.Key, l.Value})
		}
		if len(batch) == 1000 || (nerr == io.EOF && len(batch) > 0) {
			if err = c.PutMany(batch, 0); err != nil {
				break
			}
			batch = batch[:0]
		}
		if nerr == io.EOF {
			break
		}
	}
	return withClose(err, c.Close())
}

// acquire returns the open cache name with one more reference, or opens it
// with the default CacheConfig: a plain cache, or a global one to read.
func (s *Store) acquire(name string, write bool) (*Cache, error) {
	s.mu.Lock()
	if c, ok := s.caches[name]; ok && (!write || c.kind == kindPlain) {
		c.refs++
		s.mu.Unlock()
		return c.imm, nil
	}
	s.mu.Unlock()
	if write {
		return s.Cache(name, CacheConfig{})
	}
	return s.openCache(name, CacheConfig{}, kindAny)
}

// newMemDB opens an in-memory goleveldb database (storage.NewMemStorage).
func newMemDB() (*leveldb.DB, error) {
	return leveldb.Open(storage.NewMemStorage(), nil)
}

// writeOptions returns goleveldb's write options for sync.
func writeOptions(sync bool) *opt.WriteOptions {
	if sync {
		return &opt.WriteOptions{Sync: true}
	}
	return nil
}

// withClose adds a cleanup error to err, returning err itself when cleanup
// succeeded.
func withClose(err, cerr error) error {
	switch {
	case cerr == nil:
		return err
	case err == nil:
		return cerr
	}
	return fmt.Errorf("%w; additionally, close: %v", err, cerr)
}

// guard turns a panic of goleveldb on damaged table data (it asserts on
// garbled internal keys: "leveldb: internal key ...: invalid length") into a
// *CorruptedError in *err: bad files never crash the process. Other panics
// go on. Use it as `defer s.guard(&err)` in methods that read the database.
func (s *Store) guard(err *error) {
	r := recover()
	if r == nil {
		return
	}
	msg, ok := r.(string)
	if !ok || !strings.HasPrefix(msg, "leveldb: ") {
		panic(r)
	}
	*err = &CorruptedError{Dir: s.dir, Path: s.dbPath(), Err: errors.New(msg)}
}
