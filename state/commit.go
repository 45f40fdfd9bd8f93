package state

import (
	"maps"
	"slices"
	"sync"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// Commits
//
// Deferred writes (Cache.Deferred, Store.SaveDeferred, and the windows and
// checkpoints written through them) wait among the Store's pending writes,
// visible to every read of the process, until Commit stores all of them,
// together with the positions of the sources whose records made them, in
// one atomic goleveldb batch. After a crash the database holds the state
// after some commit and the positions of that same commit: the runtime
// resumes each source after its stored position, so no record is applied
// twice and none is lost (api.md section 10).
//
// The runtime calls Commit at a quiet point: when every record taken from
// the sources so far is done and its outputs reached their sinks. Commit
// itself only orders the writes: hooks registered with OnCommit (a
// Windower writing the windows it keeps in memory) run first, then deferred
// writes are blocked for as long as the batch takes to write.

// PendingBytes returns the size of the pending deferred writes: the runtime
// commits early when they grow large.
func (s *Store) PendingBytes() int { return s.pend.Load().size() }

// OnCommit registers fn to run at the start of every Commit, before the
// pending writes are taken (a Windower flushes its windows into them there),
// and returns a function that unregisters it. An error of fn fails the
// Commit, which then writes nothing. Safe for concurrent use.
func (s *Store) OnCommit(fn func() error) (remove func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.hookID
	s.hookID++
	s.hooks[id] = fn
	return func() {
		s.mu.Lock()
		delete(s.hooks, id)
		s.mu.Unlock()
	}
}

// Commit runs the OnCommit hooks, then writes every pending deferred write
// and the given source positions (source name -> position bytes, opaque to
// the Store) in one atomic batch, fsynced when a cache opened with
// CacheConfig.Sync is open. Deferred writes made while the batch is written
// wait for it; reads do not. With nothing to write it writes nothing, and
// positions alone are written only where the database is open already (a
// script that keeps nothing on disk gets no database for them). On error
// nothing was committed and the pending writes are kept. It is Prepare
// followed by Prepared.Commit.
func (s *Store) Commit(positions map[string][]byte) error {
	pr, err := s.Prepare()
	if err != nil {
		return err
	}
	return pr.Commit(positions)
}

// Prepare starts a commit in two steps, for a commit that must also reach
// another system in between (the Kafka transaction of a scaled-out job):
//
//  1. Prepare runs the OnCommit hooks, then holds the pending writes still:
//     deferred writes (and immediate writes, which update pending ones)
//     wait until step 3. Reads do not wait.
//  2. Prepared.Pending lists what the commit will write to a cache.
//  3. Prepared.Commit writes it with the positions, or Prepared.Release
//     keeps it pending for the next commit.
//
// Call Commit or Release exactly once, from any goroutine. An error of a
// hook fails Prepare, which then holds nothing.
func (s *Store) Prepare() (_ *Prepared, err error) {
	defer s.guard(&err)
	s.mu.Lock()
	hooks := make([]func() error, 0, len(s.hooks))
	for _, id := range slices.Sorted(maps.Keys(s.hooks)) {
		hooks = append(hooks, s.hooks[id])
	}
	s.mu.Unlock()
	for _, h := range hooks {
		if err := h(); err != nil {
			return nil, err
		}
	}
	s.txMu.Lock()
	return &Prepared{s: s, p: s.pend.Load()}, nil
}

// Prepared is a commit in progress (see Store.Prepare).
type Prepared struct {
	s    *Store
	p    *pending
	once sync.Once
}

// release lets deferred writes go on.
func (pr *Prepared) release() { pr.once.Do(pr.s.txMu.Unlock) }

// Release ends the commit without writing: the pending writes stay for the
// next one.
func (pr *Prepared) Release() { pr.release() }

// Pending calls fn with each pending write of cache c in key order: the key
// encoding (EncodeKey) and the stored entry, nil for a deletion (the form
// ApplyRaw takes). The slices are valid during the call only. A memory
// cache has none. fn's error stops it and is returned.
func (pr *Prepared) Pending(c *Cache, fn func(key, entry []byte) error) error {
	prefix := c.core.prefix
	if prefix == nil {
		return nil
	}
	it := pr.p.mem.NewIterator(util.BytesPrefix(prefix))
	defer it.Release()
	for it.Next() {
		var entry []byte
		if b := it.Value(); b[0] == tagPut {
			entry = b[1:]
		}
		if err := fn(it.Key()[len(prefix):], entry); err != nil {
			return err
		}
	}
	return nil
}

// Commit writes the pending writes and positions as Store.Commit does, and
// ends the commit.
func (pr *Prepared) Commit(positions map[string][]byte) (err error) {
	s := pr.s
	defer pr.release()
	defer s.guard(&err)
	p := pr.p
	s.mu.Lock()
	if p.len() == 0 && (len(positions) == 0 || s.db == nil) {
		// Nothing to write, or only positions while the script keeps no
		// state on disk: no database is created for them.
		s.mu.Unlock()
		return nil
	}
	db, err := s.database()
	sync := false
	for _, c := range s.caches {
		sync = sync || (c.cfg.Sync && !c.cfg.Memory)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	size := p.batchSize()
	for src, pos := range positions {
		size += batchRecordSize(nsKey(nsPosition, src), pos)
	}
	bb := newBatchBuilder(size)
	p.each(bb.put)
	for _, src := range slices.Sorted(maps.Keys(positions)) {
		bb.put(nsKey(nsPosition, src), positions[src])
	}
	batch, err := bb.batch()
	if err != nil {
		return err
	}
	if err := db.Write(batch, writeOptions(sync)); err != nil {
		return s.classify(err)
	}
	s.pend.Store(newPending())
	return nil
}

// Discard drops every pending deferred write: the runtime does so when a
// failure means they may hold effects of records whose positions will not
// be committed. The database keeps the state of the last commit.
func (s *Store) Discard() {
	s.txMu.Lock()
	s.pend.Store(newPending())
	s.txMu.Unlock()
}

// Position returns the committed position of a source (what the last
// Commit that named it stored), ok false when none was committed. It opens
// the database if there is one, and creates none.
func (s *Store) Position(source string) (pos []byte, ok bool, err error) {
	defer s.guard(&err)
	if !s.Exists() {
		return nil, false, nil
	}
	db, err := s.open()
	if err != nil {
		return nil, false, err
	}
	b, err := db.Get(nsKey(nsPosition, source), nil)
	if err == leveldb.ErrNotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, s.classify(err)
	}
	return b, true, nil
}
