// Package state stores the persistent caches and collector state of a
// streamctl state directory, each in its own goleveldb database. It is plain
// Go: the Lua bindings (cache.open, state.load/save) and the `streamctl state`
// CLI sit on top of it.
//
// Layout of a state directory DIR:
//
//	DIR/cache/NAME/   one goleveldb database per cache (Store.Cache)
//	DIR/state/NAME/   one goleveldb database per collector state (Store.Load, Store.Save)
//
// Each database is locked by the process that opened it (see lock.go): two
// processes may share DIR as long as they open different names; the second
// opener of the same name gets a *LockedError (exit code 75).
//
// Keys use an order-preserving encoding (keys.go) so that ranges, prefixes,
// Floor and Ceil follow the key order; values use an exact tagged binary
// encoding (values.go).
//
// Durability: goleveldb appends every write to its journal with a write(2)
// before the call returns, so once a Cache write or Store.Save returns, the
// data survives the process being killed (kill -9): it is in the operating
// system's page cache. Surviving power loss or an OS crash needs fsync:
// CacheConfig.Sync for caches; Store.Save always syncs.
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
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/storage"
)

const (
	cacheDir    = "cache"
	stateDir    = "state"
	statePrefix = "state/" // how Names and Repair spell state names
)

// Store is an open state directory. It hands out caches and collector state
// by name; a name opened twice in one process is the same database. Open
// itself locks nothing: each database is locked when first opened. A Store
// is safe for concurrent use.
type Store struct {
	dir string
	cfg cfg

	mu     sync.Mutex
	closed bool
	caches map[string]*Cache
	states map[string]*leveldb.DB
}

// cfg holds the Go-only knobs set by Opt.
type cfg struct {
	now   func() time.Time
	sweep time.Duration
	log   *slog.Logger
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

// Open returns the state directory dir. It creates nothing, opens no
// database and starts no goroutine: the directory and a database's
// subdirectory are created when a cache or a state name is first opened
// (Store.Cache, Load, Save), so reads (Names, Dump, CheckExists) of a
// directory that does not exist leave none behind. Close the Store at
// shutdown.
func Open(dir string, opts ...Opt) (*Store, error) {
	if dir == "" {
		return nil, errors.New("state directory: empty path")
	}
	c := defaultCfg()
	for _, o := range opts {
		o.apply(&c)
	}
	return &Store{dir: dir, cfg: c, caches: map[string]*Cache{}, states: map[string]*leveldb.DB{}}, nil
}

// Dir returns the state directory.
func (s *Store) Dir() string { return s.dir }

// Close closes every cache and state database still open, whatever their
// reference counts, stopping their sweep goroutines and releasing their locks.
// It is safe to call twice. Errors of the individual closes are joined.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed = true
	caches := s.caches
	states := s.states
	s.caches, s.states = map[string]*Cache{}, map[string]*leveldb.DB{}
	s.mu.Unlock()

	var errs []error
	for _, name := range slices.Sorted(maps.Keys(caches)) {
		errs = append(errs, caches[name].shutdown())
	}
	for _, name := range slices.Sorted(maps.Keys(states)) {
		errs = append(errs, closeDB(states[name], filepath.Join(s.dir, stateDir, name)))
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

// openDB opens (creating) the goleveldb database of a cache or state name at
// dir, turning goleveldb's failures into *LockedError and *CorruptedError,
// and records this process as the holder.
func openDB(kind, name, dir string) (*leveldb.DB, error) {
	display := name
	if kind == "state" {
		display = statePrefix + name
	}
	if err := checkCurrent(dir); err != nil {
		return nil, &CorruptedError{Kind: kind, Name: display, Dir: dir, Err: err}
	}
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		return nil, classify(kind, display, dir, err)
	}
	if err := writePID(dir); err != nil {
		return nil, errors.Join(fmt.Errorf("%s %q: record holder pid: %w", kind, name, err), db.Close())
	}
	return db, nil
}

// classify turns an error of opening or reading a database into a
// *LockedError, a *CorruptedError or a plain wrapped error.
func classify(kind, display, dir string, err error) error {
	var missing *lerrors.ErrMissingFiles
	switch {
	case isLockError(err):
		return lockedError(kind, shortName(kind, display), dir)
	case lerrors.IsCorrupted(err) || errors.As(err, &missing):
		return &CorruptedError{Kind: kind, Name: display, Dir: dir, Err: err}
	case errors.Is(err, leveldb.ErrClosed):
		return errorf(ErrClosed, "%s %q is closed", kind, shortName(kind, display))
	}
	return fmt.Errorf("%s %q: %w", kind, shortName(kind, display), err)
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

// Names lists the caches and collector states in the state directory, for
// `streamctl state ls`: cache names as is, state names as "state/NAME",
// sorted. It reads the directory and opens nothing. A state directory that
// does not exist is an error wrapping ErrNotExist.
func (s *Store) Names() ([]string, error) {
	if _, err := os.Stat(s.dir); err != nil {
		if os.IsNotExist(err) {
			return nil, errorf(ErrNotExist, "state directory %s does not exist", s.dir)
		}
		return nil, fmt.Errorf("state directory: %w", err)
	}
	var names []string
	for _, kind := range []string{cacheDir, stateDir} {
		ents, err := os.ReadDir(filepath.Join(s.dir, kind))
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return nil, fmt.Errorf("list %s names: %w", kind, err)
		}
		for _, e := range ents {
			if !e.IsDir() || checkName(kind, e.Name()) != nil {
				continue
			}
			if kind == stateDir {
				names = append(names, statePrefix+e.Name())
			} else {
				names = append(names, e.Name())
			}
		}
	}
	slices.Sort(names)
	return names, nil
}

// splitName maps a name as Names prints it to its kind, bare name and
// database directory.
func splitName(dir, name string) (kind, bare, path string, err error) {
	kind, bare, sub := "cache", name, cacheDir
	if rest, ok := strings.CutPrefix(name, statePrefix); ok {
		kind, bare, sub = "state", rest, stateDir
	}
	if err := checkName(kind, bare); err != nil {
		return "", "", "", err
	}
	return kind, bare, filepath.Join(dir, sub, bare), nil
}

// CheckExists returns nil when the cache name (or "state/NAME", as Names
// spells it) exists: open in this process, or its database in the state
// directory. Otherwise it returns an error wrapping ErrNotExist,
// `cache NAME does not exist in DIR`; ErrBadName for a bad name. It opens
// and creates nothing, for the CLI's reads and deletes.
func (s *Store) CheckExists(name string) error {
	kind, bare, path, err := splitName(s.dir, name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	_, isCache := s.caches[bare]
	_, isState := s.states[bare]
	s.mu.Unlock()
	if kind == "cache" && isCache || kind == "state" && isState {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		if os.IsNotExist(err) {
			return errorf(ErrNotExist, "%s %s does not exist in %s", kind, bare, s.dir)
		}
		return fmt.Errorf("%s %q: %w", kind, bare, err)
	}
	return nil
}

// Repair rebuilds the database of a cache (or of "state/NAME") in the state
// directory dir with leveldb.RecoverFile, for `streamctl state repair NAME`:
// it ignores the manifest, rebuilds it from the table files and replays the
// journals, keeping every record that is still readable. The database must
// not be open in any process (a *LockedError says who holds it). It blocks
// until the database is rebuilt and closed.
func Repair(dir, name string) error {
	kind, bare, path, err := splitName(dir, name)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("repair %s %q: %w", kind, bare, err)
	}
	db, err := leveldb.RecoverFile(path, nil)
	if err != nil {
		if isLockError(err) {
			return lockedError(kind, bare, path)
		}
		return fmt.Errorf("repair %s %q: %w", kind, bare, err)
	}
	return db.Close()
}

// Dump calls fn with every live entry of a cache in key order (with its
// expiry time, zero if none), or once with a nil key and the saved value of
// "state/NAME" (not at all if none was saved), for `streamctl state dump`.
// A cache already open in this process is read as it is; otherwise it is
// opened with the default CacheConfig for the duration of the call. A name
// that does not exist is an error wrapping ErrNotExist (CheckExists), and
// nothing is created. fn's error stops the dump and is returned.
func (s *Store) Dump(name string, fn func(DumpLine) error) error {
	kind, bare, _, err := splitName(s.dir, name)
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
	c, err := s.acquire(bare)
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
	kind, bare, _, err := splitName(s.dir, name)
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
	c, err := s.acquire(bare)
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
// with the default CacheConfig.
func (s *Store) acquire(name string) (*Cache, error) {
	s.mu.Lock()
	if c, ok := s.caches[name]; ok {
		c.refs++
		s.mu.Unlock()
		return c, nil
	}
	s.mu.Unlock()
	return s.Cache(name, CacheConfig{})
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
