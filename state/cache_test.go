package state

import (
	"errors"
	"fmt"
	"github.com/syndtr/goleveldb/leveldb/util"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamctl/streamctl/value"
)

func TestCacheOps(t *testing.T) {
	for _, mem := range []bool{false, true} {
		t.Run(fmt.Sprintf("memory=%t", mem), func(t *testing.T) {
			s := newStore(t)
			c := openCache(t, s, "users", CacheConfig{Memory: mem})
			must(t, c.Put("a", obj("name", "ann", "tags", []any{}), 0))
			must(t, c.Put(int64(5), nil, 0)) // a stored null
			must(t, c.Put([]any{"u", 1}, []byte{0, 1}, 0))

			for _, tt := range []struct {
				key    any
				want   any
				wantOK bool
			}{
				{"a", obj("name", "ann", "tags", []any{}), true},
				{5.0, nil, true},
				{[]any{"u", 1.0}, []byte{0, 1}, true},
				{"missing", nil, false},
			} {
				v, ok, err := c.Get(tt.key)
				if err != nil || ok != tt.wantOK || !valueEqual(v, tt.want) {
					t.Errorf("Get(%s) = %#v, %t, %v; want %#v, %t", FormatKey(tt.key), v, ok, err, tt.want, tt.wantOK)
				}
				has, err := c.Has(tt.key)
				if err != nil || has != tt.wantOK {
					t.Errorf("Has(%s) = %t, %v", FormatKey(tt.key), has, err)
				}
			}
			if n, err := c.Count(); n != 3 || err != nil {
				t.Errorf("Count = %d, %v; want 3", n, err)
			}
			must(t, c.Delete("a"))
			must(t, c.Delete("never there"))
			if _, ok, _ := c.Get("a"); ok {
				t.Error("Get after Delete found the key")
			}

			v, err := c.Update("n", func(old any, ok bool) (any, bool, error) {
				if ok || old != nil {
					t.Errorf("Update of a missing key got %v, %t", old, ok)
				}
				return int64(1), false, nil
			})
			if err != nil || v != int64(1) {
				t.Errorf("Update = %v, %v", v, err)
			}
			v, err = c.Update("n", func(old any, ok bool) (any, bool, error) { return old.(int64) + 1, false, nil })
			if err != nil || v != int64(2) {
				t.Errorf("Update = %v, %v", v, err)
			}
			boom := errors.New("boom")
			if _, err := c.Update("n", func(any, bool) (any, bool, error) { return "x", false, boom }); err != boom {
				t.Errorf("Update error = %v, want boom", err)
			}
			if v, _, _ := c.Get("n"); v != int64(2) {
				t.Errorf("failed Update changed the value to %v", v)
			}
			if _, err := c.Update("n", func(any, bool) (any, bool, error) { return nil, true, nil }); err != nil {
				t.Error(err)
			}
			if ok, _ := c.Has("n"); ok {
				t.Error("Update with del left the key")
			}

			must(t, c.Clear())
			if n, err := c.Count(); n != 0 || err != nil {
				t.Errorf("Count after Clear = %d, %v", n, err)
			}
			if err := c.Put(math.NaN(), 1, 0); err == nil || err.Error() != "NaN cannot be a key" {
				t.Errorf("Put(NaN) = %v", err)
			}
			if err := c.Put("f", func() {}, 0); !errors.Is(err, ErrBadValue) {
				t.Errorf("Put(func) = %v", err)
			}
		})
	}
}

func TestIncr(t *testing.T) {
	s := newStore(t)
	c := openCache(t, s, "hits", CacheConfig{})
	for _, tt := range []struct {
		key  any
		by   float64
		want float64
		typ  string
	}{
		{"a", 1, 1, "int64"},
		{"a", 2, 3, "int64"},
		{"a", -5, -2, "int64"},
		{"a", 0.5, -1.5, "float64"},
		{"a", 1.5, 0, "float64"},
		{"b", 0.25, 0.25, "float64"},
		{"c", 1e300, 1e300, "float64"},
	} {
		got, err := c.Incr(tt.key, tt.by)
		if err != nil || got != tt.want {
			t.Errorf("Incr(%s, %v) = %v, %v; want %v", FormatKey(tt.key), tt.by, got, err, tt.want)
		}
		v, _, _ := c.Get(tt.key)
		if typ := fmt.Sprintf("%T", v); typ != tt.typ {
			t.Errorf("after Incr(%s, %v) the value is a %s, want %s", FormatKey(tt.key), tt.by, typ, tt.typ)
		}
	}
	must(t, c.Put("big", int64(math.MaxInt64), 0))
	if _, err := c.Incr("big", 1); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := c.Get("big"); v != float64(math.MaxInt64)+1 {
		t.Errorf("overflowing Incr stored %#v, want a float64", v)
	}

	for _, tt := range []struct {
		val  any
		want string
	}{
		{"x", `value at "hits" is a string, not a number`},
		{[]byte("x"), `value at "hits" is a string, not a number`},
		{value.Object{}, `value at "hits" is a table, not a number`},
		{true, `value at "hits" is a boolean, not a number`},
		{nil, `value at "hits" is null, not a number`},
	} {
		must(t, c.Put("hits", tt.val, 0))
		_, err := c.Incr("hits", 1)
		if err == nil || err.Error() != tt.want || !errors.Is(err, ErrNotNumber) {
			t.Errorf("Incr over %#v = %v, want %q", tt.val, err, tt.want)
		}
	}
	must(t, c.Put([]any{"u", 1}, "x", 0))
	if _, err := c.Incr([]any{"u", 1}, 1); err == nil || err.Error() != `value at {"u", 1} is a string, not a number` {
		t.Errorf("Incr over tuple key: %v", err)
	}
}

func TestIncrConcurrent(t *testing.T) {
	s := newStore(t)
	c := openCache(t, s, "hits", CacheConfig{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 10000 {
				if _, err := c.Incr("k", 1); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if v, _, err := c.Get("k"); v != int64(40000) || err != nil {
		t.Errorf("after 4 x 10000 Incr: %#v, %v; want 40000", v, err)
	}
}

func TestUpdateConcurrent(t *testing.T) {
	s := newStore(t)
	c := openCache(t, s, "list", CacheConfig{Memory: true})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				_, err := c.Update("l", func(old any, ok bool) (any, bool, error) {
					l, _ := old.([]any)
					return append(l, int64(g*1000+i)), false, nil
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if v, _, _ := c.Get("l"); len(v.([]any)) != 800 {
		t.Errorf("after 800 concurrent appends: %d elements", len(v.([]any)))
	}
}

func TestTTL(t *testing.T) {
	clk := newClock()
	s := newStore(t, WithClock(clk.Now), WithSweepInterval(0))
	c := openCache(t, s, "sessions", CacheConfig{TTL: time.Minute})
	must(t, c.Put("default", 1, 0))         // expires in 1m
	must(t, c.Put("short", 2, time.Second)) // expires in 1s
	must(t, c.Put("forever", 3, -1))        // never
	must(t, c.Put([]any{"t", 1}, 4, 30*time.Second))
	count := func() int {
		n, err := c.Count()
		must(t, err)
		return n
	}
	if n := count(); n != 4 {
		t.Fatalf("Count = %d, want 4", n)
	}
	clk.Advance(time.Second)
	if _, ok, _ := c.Get("short"); ok {
		t.Error("Get sees an expired entry")
	}
	if ok, _ := c.Has("short"); ok {
		t.Error("Has sees an expired entry")
	}
	if n := count(); n != 3 {
		t.Errorf("Count = %d, want 3", n)
	}
	// Incr and Update treat an expired entry as missing.
	if v, err := c.Incr("short", 1); v != 1 || err != nil {
		t.Errorf("Incr over expired = %v, %v", v, err)
	}
	clk.Advance(40 * time.Second)
	var keys []string
	must(t, c.Range(RangeOptions{}, func(k, v any) bool { keys = append(keys, FormatKey(k)); return true }))
	if got := strings.Join(keys, " "); got != `"default" "forever" "short"` {
		t.Errorf("Range after 41s = %s", got)
	}
	if k, _, ok, _ := c.Floor([]any{"t", 2}); ok && FormatKey(k) == `{"t", 1}` {
		t.Error("Floor returns an expired entry")
	}
	clk.Advance(time.Hour)
	if n := count(); n != 1 {
		t.Errorf("Count after 1h = %d, want 1", n)
	}
	// The expired entries are still in the database until swept.
	if n := rawCount(t, c); n != 4 {
		t.Errorf("raw entries before Sweep = %d, want 4", n)
	}
	must(t, c.Sweep(func(k, v any) bool { return true }))
	if n := rawCount(t, c); n != 1 {
		t.Errorf("raw entries after Sweep = %d, want 1", n)
	}
}

// rawCount counts the entries in goleveldb, expired or not.
func rawCount(t *testing.T, c *Cache) int {
	t.Helper()
	var r *util.Range
	if c.core.prefix != nil {
		r = util.BytesPrefix(c.core.prefix)
	}
	it := c.core.db.NewIterator(r, nil)
	defer it.Release()
	n := 0
	for it.Next() {
		n++
	}
	must(t, it.Error())
	return n
}

func TestBackgroundSweep(t *testing.T) {
	clk := newClock()
	s := newStore(t, WithClock(clk.Now), WithSweepInterval(time.Millisecond))
	c := openCache(t, s, "tmp", CacheConfig{TTL: time.Second})
	for i := range 100 {
		must(t, c.Put(i, i, 0))
	}
	must(t, c.Put("keep", 1, -1))
	clk.Advance(2 * time.Second)
	eventually(t, "the sweeper to delete expired entries", func() bool { return rawCount(t, c) == 1 })
	if v, ok, _ := c.Get("keep"); !ok || v != int64(1) {
		t.Errorf("sweeper deleted a live entry: %v", v)
	}
	must(t, c.Close())
	// Close stopped the goroutine; the cache is closed.
	if _, _, err := c.Get("keep"); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}
}

func TestSweep(t *testing.T) {
	s := newStore(t)
	c := openCache(t, s, "s", CacheConfig{})
	for i := range 2500 {
		must(t, c.Put(i, i%3, 0))
	}
	must(t, c.Sweep(func(k, v any) bool { return v != int64(0) }))
	if n, _ := c.Count(); n != 1666 {
		t.Errorf("Count after Sweep = %d, want 1666", n)
	}
	// A value rewritten during the sweep is not deleted.
	must(t, c.Sweep(func(k, v any) bool {
		if k == int64(1) {
			must(t, c.Put(1, "new", 0)) // writing from fn is allowed: Sweep holds no lock while calling fn
		}
		return k != int64(1)
	}))
	if v, _, _ := c.Get(1); v != "new" {
		t.Errorf("Sweep deleted a concurrently rewritten entry: %v", v)
	}
}

func TestRange(t *testing.T) {
	s := newStore(t)
	c := openCache(t, s, "r", CacheConfig{})
	keys := []any{false, true, -2.5, -1, 0, 0.5, 1, 10, "", "a", "ab", "ab\x00", "b", []any{"u1", 1}, []any{"u1", 2}, []any{"u1", 3}, []any{"u2", 1}}
	for _, k := range keys {
		must(t, c.Put(k, FormatKey(k), 0))
	}
	for _, tt := range []struct {
		name string
		o    RangeOptions
		want string
	}{
		{"all", RangeOptions{}, `false true -2.5 -1 0 0.5 1 10 "" "a" "ab" "ab\x00" "b" {"u1", 1} {"u1", 2} {"u1", 3} {"u2", 1}`},
		{"from to", RangeOptions{From: -1, To: 1}, `-1 0 0.5`},
		{"from float", RangeOptions{From: 0.1, To: "a"}, `0.5 1 10 ""`},
		{"prefix string", RangeOptions{Prefix: "ab"}, `"ab" "ab\x00"`},
		{"prefix tuple", RangeOptions{Prefix: []any{"u1"}}, `{"u1", 1} {"u1", 2} {"u1", 3}`},
		{"prefix and from", RangeOptions{Prefix: []any{"u1"}, From: []any{"u1", 2}}, `{"u1", 2} {"u1", 3}`},
		{"prefix and to", RangeOptions{Prefix: []any{"u1"}, To: []any{"u1", 3}}, `{"u1", 1} {"u1", 2}`},
		{"reverse", RangeOptions{Prefix: []any{"u1"}, Reverse: true}, `{"u1", 3} {"u1", 2} {"u1", 1}`},
		{"reverse limit", RangeOptions{Reverse: true, Limit: 2}, `{"u2", 1} {"u1", 3}`},
		{"limit", RangeOptions{From: "", Limit: 3}, `"" "a" "ab"`},
		{"empty", RangeOptions{From: 5, To: 5}, ``},
		{"inverted", RangeOptions{From: 5, To: 1}, ``},
		{"numbers", RangeOptions{From: math.Inf(-1), To: ""}, `-2.5 -1 0 0.5 1 10`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := c.Range(tt.o, func(k, v any) bool {
				if v != FormatKey(k) {
					t.Errorf("value at %s is %v", FormatKey(k), v)
				}
				got = append(got, FormatKey(k))
				return true
			})
			if err != nil {
				t.Fatal(err)
			}
			if s := strings.Join(got, " "); s != tt.want {
				t.Errorf("Range = %s\nwant    %s", s, tt.want)
			}
		})
	}
	n := 0
	must(t, c.Range(RangeOptions{}, func(k, v any) bool { n++; return n < 3 }))
	if n != 3 {
		t.Errorf("Range went on after fn returned false: %d calls", n)
	}
	if err := c.Range(RangeOptions{From: math.NaN()}, func(k, v any) bool { return true }); !errors.Is(err, ErrBadKey) {
		t.Errorf("Range from NaN = %v", err)
	}
}

func TestFloorCeil(t *testing.T) {
	// A temporal join: weather readings keyed {station, time}.
	s := newStore(t)
	c := openCache(t, s, "weather", CacheConfig{})
	for _, r := range []struct {
		station string
		t       float64
		temp    float64
	}{{"s1", 100, 10}, {"s1", 200, 11}, {"s1", 300.5, 12}, {"s2", 150, 20}} {
		must(t, c.Put([]any{r.station, r.t}, r.temp, 0))
	}
	for _, tt := range []struct {
		name  string
		floor bool
		key   any
		want  string // key=value or "none"
	}{
		{"floor exact", true, []any{"s1", 200}, `{"s1", 200}=11`},
		{"floor between", true, []any{"s1", 250}, `{"s1", 200}=11`},
		{"floor fractional", true, []any{"s1", 300.75}, `{"s1", 300.5}=12`},
		{"floor after last", true, []any{"s1", 1e9}, `{"s1", 300.5}=12`},
		{"floor before first", true, []any{"s1", 50}, `{"s1"}... none`},
		{"floor other station", true, []any{"s2", 1000}, `{"s2", 150}=20`},
		{"floor crosses station", true, []any{"s2", 10}, `{"s1", 300.5}=12`},
		{"floor past all", true, []any{"zzz"}, `{"s2", 150}=20`},
		{"floor below all tuples", true, "", `none`},
		{"floor of nothing", true, false, `none`},
		{"ceil exact", false, []any{"s1", 100}, `{"s1", 100}=10`},
		{"ceil between", false, []any{"s1", 101}, `{"s1", 200}=11`},
		{"ceil past all", false, []any{"s3"}, `none`},
		{"ceil from start", false, false, `{"s1", 100}=10`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := c.Ceil
			if tt.floor {
				f = c.Floor
			}
			k, v, ok, err := f(tt.key)
			if err != nil {
				t.Fatal(err)
			}
			got := "none"
			if ok {
				got = fmt.Sprintf("%s=%v", FormatKey(k), v)
			}
			want := tt.want
			if strings.HasSuffix(want, "none") {
				want = "none"
			}
			if got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

func TestCacheOpen(t *testing.T) {
	s := newStore(t)
	a := openCache(t, s, "c1", CacheConfig{TTL: time.Hour})
	b, err := s.Cache("c1", CacheConfig{TTL: time.Hour})
	must(t, err)
	if a != b {
		t.Fatal("second Cache call returned another *Cache")
	}
	must(t, b.Close())
	must(t, a.Put("k", 1, 0)) // still open: one reference left
	if _, err := s.Cache("c1", CacheConfig{}); !errors.Is(err, ErrConfig) ||
		err.Error() != `cache "c1" is already open with {memory=false, ttl=1h0m0s, sync=false}, not {memory=false, ttl=0s, sync=false}` {
		t.Errorf("reopen with another config: %v", err)
	}
	must(t, a.Close())
	must(t, a.Close()) // extra Close is a no-op
	if err := a.Put("k", 2, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after last Close = %v", err)
	}
	// Reopen: the data persisted; the pid file is gone after Close.
	if _, err := os.Stat(filepath.Join(s.Dir(), "db", pidFile)); err != nil {
		t.Errorf("pid file while the store is open: %v", err)
	}
	c := openCache(t, s, "c1", CacheConfig{Sync: true})
	if v, _, _ := c.Get("k"); v != int64(1) {
		t.Errorf("after reopen Get = %v", v)
	}
	if pid := readPID(filepath.Join(s.Dir(), "db", pidFile)); pid != os.Getpid() {
		t.Errorf("pid file holds %d, want %d", pid, os.Getpid())
	}

	for _, name := range []string{"", "a/b", "..", ".", "a..b", "../x", "sp ace", "ü", strings.Repeat("x", 201)} {
		_, err := s.Cache(name, CacheConfig{})
		want := fmt.Sprintf(`cache name %q must match [A-Za-z0-9_.-]+ (at most 200 characters, no "..")`, name)
		if err == nil || err.Error() != want || !errors.Is(err, ErrBadName) {
			t.Errorf("Cache(%q) = %v", name, err)
		}
	}
	for _, name := range []string{"a", "A.b-c_9", ".hidden", "x.pid"} {
		c, err := s.Cache(name, CacheConfig{Memory: true})
		must(t, err)
		must(t, c.Close())
	}
}

func TestNames(t *testing.T) {
	s := newStore(t)
	openCache(t, s, "zeta", CacheConfig{})
	openCache(t, s, "alpha", CacheConfig{})
	openCache(t, s, "mem", CacheConfig{Memory: true}) // not on disk
	must(t, s.Save("collector", 1))
	names, err := s.Names()
	must(t, err)
	if got := strings.Join(names, " "); got != "alpha state/collector zeta" {
		t.Errorf("Names = %s", got)
	}
}

// TestReadsCreateNothing: Open, Names, CheckExists and Dump of what does
// not exist leave no directory behind and say what is missing.
func TestReadsCreateNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sd")
	s, err := Open(dir)
	must(t, err)
	defer s.Close()
	if _, err := s.Names(); !errors.Is(err, ErrNotExist) || err.Error() != "state directory "+dir+" does not exist" {
		t.Errorf("Names = %v", err)
	}
	for _, tt := range []struct{ name, want string }{
		{"users", "cache users does not exist in " + dir},
		{"state/progress", "state progress does not exist in " + dir},
	} {
		if err := s.CheckExists(tt.name); !errors.Is(err, ErrNotExist) || err.Error() != tt.want {
			t.Errorf("CheckExists(%s) = %v, want %s", tt.name, err, tt.want)
		}
		if err := s.Dump(tt.name, func(DumpLine) error { return nil }); !errors.Is(err, ErrNotExist) {
			t.Errorf("Dump(%s) = %v", tt.name, err)
		}
	}
	if err := s.CheckExists("a/b"); !errors.Is(err, ErrBadName) {
		t.Errorf("CheckExists(a/b) = %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("reads created %s: %v", dir, err)
	}
	// Opened (the directory is created then), in memory or on disk.
	openCache(t, s, "mem", CacheConfig{Memory: true})
	openCache(t, s, "users", CacheConfig{})
	must(t, s.Save("progress", 1))
	for _, name := range []string{"mem", "users", "state/progress"} {
		must(t, s.CheckExists(name))
	}
}

func TestStoreClose(t *testing.T) {
	s, err := Open(t.TempDir())
	must(t, err)
	c, err := s.Cache("a", CacheConfig{})
	must(t, err)
	_, err = s.Cache("a", CacheConfig{})
	must(t, err)
	must(t, s.Save("st", 1))
	must(t, s.Close())
	must(t, s.Close())
	if err := c.Put(1, 1, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Store.Close = %v", err)
	}
	must(t, c.Close())
	if _, err := s.Cache("a", CacheConfig{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Cache after Store.Close = %v", err)
	}
	// Everything was released: another Store can open both.
	s2, err := Open(s.Dir())
	must(t, err)
	defer s2.Close()
	if v, ok, err := s2.Load("st"); v != int64(1) || !ok || err != nil {
		t.Errorf("Load = %v, %t, %v", v, ok, err)
	}
}

func TestLockedByAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	ch := startHelper(t, "hold", dir, "busy")
	if l := ch.line(t); l != "ready" {
		t.Fatalf("helper said %q", l)
	}
	s, err := Open(dir)
	must(t, err)
	defer s.Close()
	_, err = s.Cache("busy", CacheConfig{})
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Cache of a held cache = %v, want *LockedError", err)
	}
	want := fmt.Sprintf("state directory %s is in use by pid %d", dir, ch.cmd.Process.Pid)
	if err.Error() != want || le.ExitCode() != 75 || !errors.Is(err, ErrLocked) {
		t.Errorf("error = %q (exit %d), want %q (exit 75)", err, le.ExitCode(), want)
	}
	// One process holds the whole state directory: every other cache and
	// the collector state are held too; a memory cache is free.
	if _, err := s.Cache("free", CacheConfig{}); err == nil || err.Error() != want {
		t.Errorf("another cache of the held directory: %v", err)
	}
	if _, _, err := s.Load("col"); err == nil || err.Error() != want {
		t.Errorf("collector state of the held directory: %v", err)
	}
	mem, err := s.Cache("mem", CacheConfig{Memory: true})
	must(t, err)
	must(t, mem.Close())

	// Without the pid file the holder is unnamed.
	must(t, os.Remove(filepath.Join(dir, "db", pidFile)))
	if _, err := s.Cache("busy", CacheConfig{}); err == nil || !strings.HasSuffix(err.Error(), "is in use by another process") {
		t.Errorf("without pid file: %v", err)
	}

	// kill -9 releases the lock.
	must(t, ch.cmd.Process.Kill())
	ch.cmd.Wait()
	var c *Cache
	eventually(t, "the lock to be released", func() bool {
		c, err = s.Cache("busy", CacheConfig{})
		return err == nil
	})
	must(t, c.Close())
}

func TestLockedRepair(t *testing.T) {
	dir := t.TempDir()
	ch := startHelper(t, "hold", dir, "busy")
	ch.line(t)
	_, err := Repair(dir)
	if !errors.Is(err, ErrLocked) {
		t.Errorf("Repair of a held state directory = %v", err)
	}
}

// TestKillDurability kills a writer with SIGKILL and checks that every Put
// that had returned survived.
func TestKillDurability(t *testing.T) {
	dir := t.TempDir()
	ch := startHelper(t, "puts", dir, "d")
	var last int64
	for range 2000 {
		fmt.Sscan(ch.line(t), &last)
	}
	must(t, ch.cmd.Process.Kill())
	ch.cmd.Wait()
	s, err := Open(dir)
	must(t, err)
	defer s.Close()
	c, err := s.Cache("d", CacheConfig{})
	must(t, err)
	for i := int64(0); i <= last; i++ {
		v, ok, err := c.Get(i)
		if err != nil || !ok || !valueEqual(v, []any{i, strings.Repeat("x", int(i%100))}) {
			t.Fatalf("after kill -9, key %d: %v, %t, %v", i, v, ok, err)
		}
	}
}
