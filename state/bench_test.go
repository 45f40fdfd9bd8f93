package state

import (
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// The Cache benchmarks and their Raw twins do the same goleveldb work on the
// same data; the difference is this package's key/value encoding, TTL check
// and write mutex. Raw uses 8-byte big-endian keys and a value of the same
// size as the Cache's encoded value.

const benchN = 10000

func benchValue(i int) any { return obj("user", "u12345", "n", int64(i), "tags", []any{"a", "b"}) }

func rawKey(i int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(i)) }

func benchCache(b *testing.B, fill int) *Cache {
	b.Helper()
	s, err := Open(b.TempDir(), WithSweepInterval(0))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	c, err := s.Cache("bench", CacheConfig{})
	if err != nil {
		b.Fatal(err)
	}
	for i := range fill {
		if err := c.Put(i, benchValue(i), 0); err != nil {
			b.Fatal(err)
		}
	}
	return c
}

func benchRaw(b *testing.B, fill int) (*leveldb.DB, []byte) {
	b.Helper()
	db, err := leveldb.OpenFile(filepath.Join(b.TempDir(), "raw"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	val, _ := encodeEntry(benchValue(0), 0)
	for i := range fill {
		if err := db.Put(rawKey(i), val, nil); err != nil {
			b.Fatal(err)
		}
	}
	return db, val
}

func BenchmarkCachePut(b *testing.B) {
	c := benchCache(b, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := c.Put(i%benchN, benchValue(i), 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawPut(b *testing.B) {
	db, val := benchRaw(b, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := db.Put(rawKey(i%benchN), val, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCacheGet(b *testing.B) {
	c := benchCache(b, benchN)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, ok, err := c.Get(i % benchN); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkRawGet(b *testing.B) {
	db, _ := benchRaw(b, benchN)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := db.Get(rawKey(i%benchN), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// Range over 100 consecutive entries, decoding keys and values.
func BenchmarkCacheRange(b *testing.B) {
	c := benchCache(b, benchN)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		from := i % (benchN - 100)
		n := 0
		if err := c.Range(RangeOptions{From: from, Limit: 100}, func(k, v any) bool { n++; return true }); err != nil || n != 100 {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkRawRange(b *testing.B) {
	db, _ := benchRaw(b, benchN)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		from := i % (benchN - 100)
		it := db.NewIterator(&util.Range{Start: rawKey(from)}, nil)
		n := 0
		for it.Next() && n < 100 {
			_ = it.Value()
			n++
		}
		it.Release()
		if n != 100 {
			b.Fatal(n)
		}
	}
}

func BenchmarkCacheIncr(b *testing.B) {
	c := benchCache(b, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Incr("hits", 1); err != nil {
			b.Fatal(err)
		}
	}
}
