package state

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// TestShards: a partitioned cache is one registered name whose shards are
// caches of their own; Names lists it once, Dump and Get read every shard
// as committed, and a plain open of the name is refused.
func TestShards(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, WithSweepInterval(0))
	must(t, err)
	must(t, s.Partitioned("counts"))
	var shards []*Cache
	for p := range int32(3) {
		c, err := s.Shard("counts", p, CacheConfig{})
		must(t, err)
		shards = append(shards, c)
		for i := range 3 {
			must(t, c.Deferred().Put(fmt.Sprintf("k%d", int(p)+3*i), int64(p), 0))
		}
	}
	must(t, s.Commit(map[string][]byte{"src": []byte("1")}))
	_, err = s.Cache("counts", CacheConfig{})
	if !errors.Is(err, ErrConfig) || err.Error() != `cache "counts" is a partitioned cache (one shard per partition of a Kafka topic, written by its handlers), not a plain cache` {
		t.Fatalf("plain open of a partitioned cache: %v", err)
	}
	names, err := s.Names()
	must(t, err)
	if !slices.Equal(names, []string{"counts"}) {
		t.Fatalf("names %v", names)
	}
	var keys []string
	must(t, s.Dump("counts", func(l DumpLine) error {
		keys = append(keys, fmt.Sprintf("%v=%v", l.Key, l.Value))
		return nil
	}))
	want := []string{"k0=0", "k3=0", "k6=0", "k1=1", "k4=1", "k7=1", "k2=2", "k5=2", "k8=2"}
	if !slices.Equal(keys, want) {
		t.Fatalf("dump %v, want %v", keys, want)
	}
	v, ok, err := s.Get("counts", "k7")
	if err != nil || !ok || v != int64(1) {
		t.Fatalf("get k7: %v %v %v", v, ok, err)
	}
	sn, err := s.Snapshot()
	must(t, err)
	n := 0
	must(t, sn.Entries("counts", func(RawEntry) error { n++; return nil }))
	e, ok, err := sn.Get("counts", mustKey(t, "k5"))
	sn.Release()
	if n != 9 || !ok || err != nil {
		t.Fatalf("snapshot: %d entries, get %v %v %v", n, e, ok, err)
	}

	// Merged reads over the shards, pending writes included.
	must(t, shards[1].Deferred().Put("a", "pending", 0))
	ss := Shards(shards)
	var merged []any
	must(t, ss.Range(RangeOptions{}, func(k, _ any) bool { merged = append(merged, k); return true }))
	if fmt.Sprint(merged) != "[a k0 k1 k2 k3 k4 k5 k6 k7 k8]" {
		t.Fatalf("merged range %v", merged)
	}
	merged = nil
	must(t, ss.Range(RangeOptions{Reverse: true, Limit: 3, To: "k8"}, func(k, _ any) bool { merged = append(merged, k); return true }))
	if fmt.Sprint(merged) != "[k7 k6 k5]" {
		t.Fatalf("reverse range %v", merged)
	}
	fk, _, ok, err := ss.Floor("k45")
	must(t, err)
	ck, _, ok2, err := ss.Ceil("k45")
	must(t, err)
	cnt, err := ss.Count()
	must(t, err)
	if fk != "k4" || ck != "k5" || !ok || !ok2 || cnt != 10 {
		t.Fatalf("floor %v ceil %v count %d", fk, ck, cnt)
	}
	if v, ok, _ := ss.Get("a"); !ok || v != "pending" {
		t.Fatalf("merged get: %v %v", v, ok)
	}
	must(t, s.Close())
}

// TestPreparedCommit: a prepared commit lists a cache's pending writes as
// raw entries, and ApplyRaw of those entries into another store makes the
// same cache (the changelog round trip).
func TestPreparedCommit(t *testing.T) {
	s, err := Open(t.TempDir(), WithSweepInterval(0))
	must(t, err)
	c, err := s.Cache("src", CacheConfig{})
	must(t, err)
	must(t, c.Put("gone", 1, 0))
	d := c.Deferred()
	must(t, d.Put("a", map[string]any{"x": int64(1)}, 0))
	must(t, d.Put("b", "two", 0))
	must(t, d.Delete("gone"))
	pr, err := s.Prepare()
	must(t, err)
	var raw []RawKV
	must(t, pr.Pending(c, func(k, e []byte) error {
		raw = append(raw, RawKV{Key: slices.Clone(k), Entry: slices.Clone(e)})
		return nil
	}))
	must(t, pr.Commit(nil))
	if len(raw) != 3 || raw[2].Entry != nil {
		t.Fatalf("pending %v", raw)
	}

	s2, err := Open(t.TempDir(), WithSweepInterval(0))
	must(t, err)
	g, err := s2.GlobalCache("copy", CacheConfig{})
	must(t, err)
	must(t, g.ApplyRaw([]RawKV{{Key: mustKey(t, "gone"), Entry: mustEntry(t, 5)}}, nil))
	must(t, g.ApplyRaw(raw, map[string][]byte{"changelog": []byte("3")}))
	got := map[any]any{}
	must(t, g.Range(RangeOptions{}, func(k, v any) bool { got[k] = v; return true }))
	if fmt.Sprint(got) != "map[a:[{x 1}] b:two]" {
		t.Fatalf("applied %v", got)
	}
	pos, ok, err := s2.Position("changelog")
	if string(pos) != "3" || !ok || err != nil {
		t.Fatalf("position %q %v %v", pos, ok, err)
	}
	if err := g.ApplyRaw([]RawKV{{Key: mustKey(t, "x"), Entry: []byte{9}}}, nil); !errors.Is(err, ErrBadValue) {
		t.Fatalf("bad entry: %v", err)
	}
	must(t, g.Reset("changelog"))
	if n, _ := g.Count(); n != 0 {
		t.Fatalf("%d entries after Reset", n)
	}
	if _, ok, _ := s2.Position("changelog"); ok {
		t.Fatal("position kept after Reset")
	}
	// A global cache's name cannot be written as a plain cache.
	if _, err := s2.Cache("copy", CacheConfig{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("plain open of a global cache: %v", err)
	}
	// A plain cache with entries does not silently become global.
	p, err := s2.Cache("plain", CacheConfig{})
	must(t, err)
	must(t, p.Put(1, 1, 0))
	must(t, p.Close())
	if _, err := s2.GlobalCache("plain", CacheConfig{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("global open of a plain cache with entries: %v", err)
	}
	must(t, s.Close())
	must(t, s2.Close())
}

// TestPreparedRelease: a released commit keeps its pending writes, and
// deferred writes made meanwhile wait for it.
func TestPreparedRelease(t *testing.T) {
	s, err := Open(t.TempDir(), WithSweepInterval(0))
	must(t, err)
	c, err := s.Cache("c", CacheConfig{})
	must(t, err)
	must(t, c.Deferred().Put("k", 1, 0))
	pr, err := s.Prepare()
	must(t, err)
	done := make(chan error)
	go func() { done <- c.Deferred().Put("k2", 2, 0) }()
	pr.Release()
	must(t, <-done)
	if n := s.pend.Load().len(); n != 2 {
		t.Fatalf("%d pending writes, want 2", n)
	}
	must(t, s.Close())
}

func mustKey(t *testing.T, k any) []byte {
	t.Helper()
	b, err := EncodeKey(k)
	must(t, err)
	return b
}

func mustEntry(t *testing.T, v any) []byte {
	t.Helper()
	b, err := encodeEntry(v, 0)
	must(t, err)
	return b
}
