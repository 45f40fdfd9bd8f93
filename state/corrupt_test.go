package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fillCache writes n entries to cache name of a fresh store at dir and closes
// it, reopening once so the journal is compacted into a table file.
func fillCache(t *testing.T, dir, name string, n int) {
	t.Helper()
	for range 2 {
		s, err := Open(dir)
		must(t, err)
		c, err := s.Cache(name, CacheConfig{})
		must(t, err)
		for i := range n {
			must(t, c.Put(i, strings.Repeat("v", 100), 0))
		}
		must(t, s.Close())
	}
}

func globOne(t *testing.T, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	must(t, err)
	if len(m) == 0 {
		t.Fatalf("no file matches %s", pattern)
	}
	return m[len(m)-1]
}

func TestCorruption(t *testing.T) {
	for _, tt := range []struct {
		name    string
		corrupt func(t *testing.T, db string)
		onRead  bool // detected when reading, not when opening
		want    string
	}{
		{"garbage manifest", func(t *testing.T, db string) {
			must(t, os.WriteFile(globOne(t, filepath.Join(db, "MANIFEST-*")), []byte("garbage garbage garbage garbage"), 0o644))
		}, false, "corrupted"},
		{"truncated manifest", func(t *testing.T, db string) {
			must(t, os.Truncate(globOne(t, filepath.Join(db, "MANIFEST-*")), 0))
		}, false, "corrupted"},
		{"missing CURRENT", func(t *testing.T, db string) {
			must(t, os.Remove(filepath.Join(db, "CURRENT")))
		}, false, "the CURRENT file is missing"},
		{"CURRENT names a missing manifest", func(t *testing.T, db string) {
			must(t, os.WriteFile(filepath.Join(db, "CURRENT"), []byte("MANIFEST-999999\n"), 0o644))
		}, false, "corrupted"},
		{"missing table", func(t *testing.T, db string) {
			must(t, os.Remove(globOne(t, filepath.Join(db, "*.ldb"))))
		}, false, "file missing"},
		{"flipped table bytes", func(t *testing.T, db string) {
			path := globOne(t, filepath.Join(db, "*.ldb"))
			b, err := os.ReadFile(path)
			must(t, err)
			for i := 100; i < 200 && i < len(b); i++ {
				b[i] ^= 0xff
			}
			must(t, os.WriteFile(path, b, 0o644))
		}, true, "corrupted"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			fillCache(t, dir, "c", 200)
			db := filepath.Join(dir, "db")
			tt.corrupt(t, db)

			s, err := Open(dir)
			must(t, err)
			defer func() { s.Close() }()
			c, err := s.Cache("c", CacheConfig{})
			if tt.onRead {
				must(t, err)
				err = c.Range(RangeOptions{}, func(k, v any) bool { return true })
				must(t, c.Close())
			}
			var ce *CorruptedError
			if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupted) {
				t.Fatalf("got %v, want *CorruptedError", err)
			}
			prefix := fmt.Sprintf("state directory %s is corrupted: ", dir)
			suffix := `; run "streamctl state repair" to recover what is readable`
			msg := err.Error()
			if !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, suffix) || !strings.Contains(msg, tt.want) {
				t.Errorf("error = %q", msg)
			}
			t.Log(msg)

			must(t, s.Close()) // release the state directory
			mustRepair(t, dir)
			s, err = Open(dir)
			must(t, err)
			c, err = s.Cache("c", CacheConfig{})
			must(t, err)
			n, err := c.Count()
			must(t, err)
			t.Logf("%d of 200 entries recovered", n)
			if n == 0 && tt.name != "missing table" && !tt.onRead {
				t.Errorf("Repair recovered nothing")
			}
			must(t, c.Put("after", 1, 0))
		})
	}
}

func TestCorruptState(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	must(t, err)
	must(t, s.Save("col", obj("offset", 5)))
	must(t, s.Close())
	db := filepath.Join(dir, "db")
	must(t, os.Truncate(globOne(t, filepath.Join(db, "MANIFEST-*")), 0))

	s, err = Open(dir)
	must(t, err)
	defer s.Close()
	_, _, err = s.Load("col")
	if !errors.Is(err, ErrCorrupted) || !strings.HasPrefix(err.Error(), fmt.Sprintf("state directory %s is corrupted: ", dir)) ||
		!strings.HasSuffix(err.Error(), `run "streamctl state repair" to recover what is readable`) {
		t.Fatalf("Load = %v", err)
	}
	mustRepair(t, dir)
	v, ok, err := s.Load("col")
	if err != nil || !ok || !valueEqual(v, obj("offset", int64(5))) {
		t.Errorf("after repair Load = %v, %t, %v", v, ok, err)
	}
}

func TestRepairErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Repair(dir); err == nil || !strings.HasPrefix(err.Error(), "repair state directory "+dir+": ") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Repair of an empty state directory = %v", err)
	}
}

func mustRepair(t *testing.T, dir string) {
	t.Helper()
	n, err := Repair(dir)
	must(t, err)
	t.Logf("repair kept %d entries", n)
}
