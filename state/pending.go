package state

import (
	"bytes"

	"github.com/syndtr/goleveldb/leveldb/comparer"
	"github.com/syndtr/goleveldb/leveldb/iterator"
	"github.com/syndtr/goleveldb/leveldb/memdb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// pending holds the deferred writes of a Store between two commits: a
// sorted in-memory map (goleveldb's memdb skiplist) from database key to a
// tagged value, tagPut + the stored bytes or tagDel for a deletion. Reads
// look here before the database, so a handler reads its own uncommitted
// writes. A commit writes the whole map in one goleveldb batch and replaces
// it with a new one; the old map is never reset, so slices it returned and
// iterators over it stay valid. memdb is safe for concurrent use.
type pending struct {
	mem *memdb.DB
}

// Value tags of pending entries.
const (
	tagDel = 0
	tagPut = 1
)

func newPending() *pending {
	return &pending{mem: memdb.New(comparer.DefaultComparer, 0)}
}

// put records a write of val at key. val is copied.
func (p *pending) put(key, val []byte) {
	var buf [256]byte // memdb.Put copies: a small value needs no allocation
	b := append(append(buf[:0], tagPut), val...)
	p.mem.Put(key, b) // memdb.Put cannot fail
}

// del records a deletion of key.
func (p *pending) del(key []byte) { p.mem.Put(key, []byte{tagDel}) }

// get returns the pending write of key: found false when there is none,
// else deleted or the value (not to be modified).
func (p *pending) get(key []byte) (val []byte, deleted, found bool) {
	b, err := p.mem.Get(key)
	if err != nil {
		return nil, false, false
	}
	if b[0] == tagDel {
		return nil, true, true
	}
	return b[1:], false, true
}

// has reports whether key has a pending write.
func (p *pending) has(key []byte) bool { return p.mem.Contains(key) }

// size returns the bytes the pending writes take.
func (p *pending) size() int { return p.mem.Size() }

// batchSize bounds the size of a goleveldb batch holding every pending
// write (batchRecordSize per write; the tag byte of each value is not
// written).
func (p *pending) batchSize() int { return p.mem.Size() + batchRecordSize(nil, nil)*p.mem.Len() }

// len returns the number of keys written.
func (p *pending) len() int { return p.mem.Len() }

// each calls fn with every pending write in key order (val nil for a
// deletion).
func (p *pending) each(fn func(key, val []byte)) {
	it := p.mem.NewIterator(nil)
	defer it.Release()
	for ok := it.First(); ok; ok = it.Next() {
		b := it.Value()
		if b[0] == tagDel {
			fn(it.Key(), nil)
		} else {
			fn(it.Key(), b[1:])
		}
	}
}

// mergedIter walks the union of a pending map and the database within one
// range, in one direction: a pending write replaces the database's entry of
// the same key and a pending deletion hides it. It is a forward-only (or
// backward-only) cursor: start it with first, then call next.
type mergedIter struct {
	p, d    iterator.Iterator // pending (tagged values), database
	reverse bool
	pok     bool
	dok     bool
	// which entries the cursor consumed: advanced by the next call.
	usedP, usedD bool
	key, val     []byte
}

func newMergedIter(p *pending, db iterator.Iterator, r *util.Range, reverse bool) *mergedIter {
	return &mergedIter{p: p.mem.NewIterator(r), d: db, reverse: reverse}
}

// first positions the cursor at the first entry in its direction.
func (m *mergedIter) first() bool {
	if m.reverse {
		m.pok, m.dok = m.p.Last(), m.d.Last()
	} else {
		m.pok, m.dok = m.p.First(), m.d.First()
	}
	return m.settle()
}

// next moves the cursor to the following entry.
func (m *mergedIter) next() bool {
	step := func(it iterator.Iterator) bool {
		if m.reverse {
			return it.Prev()
		}
		return it.Next()
	}
	if m.usedP {
		m.pok = step(m.p)
	}
	if m.usedD {
		m.dok = step(m.d)
	}
	return m.settle()
}

// settle picks the entry the cursor is at, skipping pending deletions.
func (m *mergedIter) settle() bool {
	for {
		m.usedP, m.usedD = false, false
		switch {
		case !m.pok && !m.dok:
			m.key, m.val = nil, nil
			return false
		case !m.pok:
			m.usedD = true
		case !m.dok:
			m.usedP = true
		default:
			c := bytes.Compare(m.p.Key(), m.d.Key())
			if m.reverse {
				c = -c
			}
			m.usedP = c <= 0
			m.usedD = c >= 0
		}
		if !m.usedP {
			m.key, m.val = m.d.Key(), m.d.Value()
			return true
		}
		b := m.p.Value()
		if b[0] == tagPut {
			m.key, m.val = m.p.Key(), b[1:]
			return true
		}
		// A pending deletion: skip it and the entry it hides.
		step := m.p.Next
		if m.reverse {
			step = m.p.Prev
		}
		m.pok = step()
		if m.usedD {
			if m.reverse {
				m.dok = m.d.Prev()
			} else {
				m.dok = m.d.Next()
			}
		}
	}
}

// err returns the first error of either iterator.
func (m *mergedIter) err() error {
	if err := m.p.Error(); err != nil {
		return err
	}
	return m.d.Error()
}

func (m *mergedIter) release() {
	m.p.Release()
	m.d.Release()
}
