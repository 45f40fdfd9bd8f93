package state

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCommitModel drives a persistent cache with random immediate and
// deferred writes, commits and discards, and compares every read with a
// model: reads see pending writes at once, a commit makes them durable with
// the positions, a discard drops them, and a reopened store holds exactly
// the committed state plus the immediate writes.
func TestCommitModel(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 1))
			dir := t.TempDir()
			s, err := Open(dir, WithSweepInterval(0))
			must(t, err)
			c, err := s.Cache("m", CacheConfig{})
			must(t, err)
			d := c.Deferred()

			visible := map[int64]int64{} // what reads must see
			durable := map[int64]int64{} // what a reopen must see
			pendingOps := map[int64]*int64{}
			var pos []byte
			for i := range 600 {
				k := int64(rng.IntN(40))
				switch op := rng.IntN(10); {
				case op < 3: // deferred put
					v := int64(i)
					must(t, d.Put(k, v, 0))
					visible[k] = v
					pendingOps[k] = &v
				case op < 4: // deferred delete
					must(t, d.Delete(k))
					delete(visible, k)
					pendingOps[k] = nil
				case op < 5: // deferred incr
					n, err := d.Incr(k, 1)
					must(t, err)
					v := int64(n)
					visible[k] = v
					pendingOps[k] = &v
				case op < 6: // immediate put: durable at once, also over a pending write
					v := int64(-i)
					must(t, c.Put(k, v, 0))
					visible[k] = v
					durable[k] = v
					if _, ok := pendingOps[k]; ok {
						pendingOps[k] = &v
					}
				case op < 7: // immediate delete
					must(t, c.Delete(k))
					delete(visible, k)
					delete(durable, k)
					if _, ok := pendingOps[k]; ok {
						pendingOps[k] = nil
					}
				case op < 8: // commit
					pos = []byte(fmt.Sprint(i))
					must(t, s.Commit(map[string][]byte{"src": pos}))
					for k, v := range pendingOps {
						if v == nil {
							delete(durable, k)
						} else {
							durable[k] = *v
						}
					}
					clear(pendingOps)
				case op < 9: // discard: reads fall back to the database
					s.Discard()
					clear(pendingOps)
					clear(visible)
					for k, v := range durable {
						visible[k] = v
					}
				default:
					checkCache(t, c, visible)
				}
			}
			checkCache(t, c, visible)
			// A crash: close without committing; the database holds the
			// committed and immediate writes.
			must(t, s.Close())
			s, err = Open(dir)
			must(t, err)
			defer s.Close()
			c, err = s.Cache("m", CacheConfig{})
			must(t, err)
			checkCache(t, c, durable)
			got, ok, err := s.Position("src")
			must(t, err)
			if string(got) != string(pos) || ok != (pos != nil) {
				t.Errorf("Position = %q, %t, want %q", got, ok, pos)
			}
		})
	}
}

// checkCache compares every read of c with want.
func checkCache(t *testing.T, c *Cache, want map[int64]int64) {
	t.Helper()
	keys := make([]int64, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for k := int64(-1); k <= 41; k++ {
		v, ok, err := c.Get(k)
		must(t, err)
		w, wok := want[k]
		if ok != wok || (ok && v != w) {
			t.Fatalf("Get(%d) = %v, %t; want %v, %t", k, v, ok, w, wok)
		}
		// Floor and Ceil against the sorted keys.
		i, found := slices.BinarySearch(keys, k)
		fk, _, fok, err := c.Floor(k)
		must(t, err)
		switch {
		case found && (!fok || fk != k):
			t.Fatalf("Floor(%d) = %v, %t", k, fk, fok)
		case !found && i == 0 && fok:
			t.Fatalf("Floor(%d) = %v, want none", k, fk)
		case !found && i > 0 && (!fok || fk != keys[i-1]):
			t.Fatalf("Floor(%d) = %v, %t; want %d", k, fk, fok, keys[i-1])
		}
		ck, _, cok, err := c.Ceil(k)
		must(t, err)
		switch {
		case i == len(keys) && cok:
			t.Fatalf("Ceil(%d) = %v, want none", k, ck)
		case i < len(keys) && (!cok || ck != keys[i]):
			t.Fatalf("Ceil(%d) = %v, %t; want %d", k, ck, cok, keys[i])
		}
	}
	for _, reverse := range []bool{false, true} {
		var got []int64
		must(t, c.Range(RangeOptions{Reverse: reverse}, func(k, v any) bool {
			if v != want[k.(int64)] {
				t.Fatalf("Range: %v = %v, want %v", k, v, want[k.(int64)])
			}
			got = append(got, k.(int64))
			return true
		}))
		exp := slices.Clone(keys)
		if reverse {
			slices.Reverse(exp)
		}
		if !slices.Equal(got, exp) {
			t.Fatalf("Range(reverse=%t) = %v, want %v", reverse, got, exp)
		}
	}
	n, err := c.Count()
	must(t, err)
	if n != len(keys) {
		t.Fatalf("Count = %d, want %d", n, len(keys))
	}
}

func TestDeferredSaveAndHooks(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	must(t, err)
	must(t, s.Save("col", "durable"))
	must(t, s.SaveDeferred("col", "pending"))
	if v, _, _ := s.Load("col"); v != "pending" {
		t.Errorf("Load sees %v, want the pending save", v)
	}
	calls := 0
	remove := s.OnCommit(func() error {
		calls++
		return s.SaveDeferred("hooked", int64(calls))
	})
	must(t, s.Commit(nil))
	remove()
	must(t, s.Commit(nil))
	if calls != 1 {
		t.Errorf("hook ran %d times, want 1", calls)
	}
	must(t, s.SaveDeferred("col", "lost"))
	must(t, s.Close()) // without a commit
	s, err = Open(dir)
	must(t, err)
	defer s.Close()
	for name, want := range map[string]any{"col": "pending", "hooked": int64(1)} {
		if v, ok, err := s.Load(name); v != want || !ok || err != nil {
			t.Errorf("after reopen Load(%s) = %v, %t, %v", name, v, ok, err)
		}
	}
	if _, ok, _ := s.Position("none"); ok {
		t.Error("Position of a source never committed")
	}
}

// TestMigrate imports a state directory of the earlier layout: one database
// per cache and per collector state.
func TestMigrate(t *testing.T) {
	dir := t.TempDir()
	old := func(path string, kv map[string][]byte) {
		db := openLegacy(t, path)
		for k, v := range kv {
			must(t, db.Put([]byte(k), v, nil))
		}
		must(t, db.Close())
	}
	k1, _ := EncodeKey("a")
	k2, _ := EncodeKey([]any{"u", int64(2)})
	e1, _ := encodeEntry(int64(1), 0)
	e2, _ := encodeEntry("two", 0)
	old(filepath.Join(dir, "cache", "hits"), map[string][]byte{string(k1): e1, string(k2): e2})
	old(filepath.Join(dir, "cache", "empty"), nil)
	sv, _ := EncodeValue(obj("n", int64(3)))
	old(filepath.Join(dir, "state", "progress"), map[string][]byte{"v": sv})

	s, err := Open(dir)
	must(t, err)
	defer s.Close()
	names, err := s.Names()
	must(t, err)
	if got := strings.Join(names, " "); got != "empty hits state/progress" {
		t.Errorf("Names after import = %s", got)
	}
	c, err := s.Cache("hits", CacheConfig{})
	must(t, err)
	checkGet := func(k, want any) {
		t.Helper()
		if v, ok, err := c.Get(k); !valueEqual(v, want) || !ok || err != nil {
			t.Errorf("Get(%v) = %v, %t, %v", k, v, ok, err)
		}
	}
	checkGet("a", int64(1))
	checkGet([]any{"u", int64(2)}, "two")
	if v, ok, err := s.Load("progress"); !ok || err != nil || !valueEqual(v, obj("n", int64(3))) {
		t.Errorf("Load(progress) = %v, %t, %v", v, ok, err)
	}
	for _, gone := range []string{"cache", "state"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); !os.IsNotExist(err) {
			t.Errorf("%s/ left after the import: %v", gone, err)
		}
	}
}

func TestNothingCreatedByReads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fresh")
	s, err := Open(dir)
	must(t, err)
	defer s.Close()
	if names, err := s.Names(); !errors.Is(err, ErrNotExist) || len(names) != 0 {
		t.Errorf("Names of a missing directory = %v, %v", names, err)
	}
	if ok, err := s.Has("hits"); ok || err != nil {
		t.Errorf("Has = %t, %v", ok, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("reads created the state directory: %v", err)
	}
}
