package state

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
)

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	must(t, err)
	if v, ok, err := s.Load("col"); v != nil || ok || err != nil {
		t.Errorf("Load before Save = %v, %t, %v", v, ok, err)
	}
	for _, v := range []any{
		obj("offset", int64(5), "seen", []any{}, "null", nil),
		[]any{math.Copysign(0, -1), []byte("raw"), "raw"},
		nil,
	} {
		must(t, s.Save("col", v))
		got, ok, err := s.Load("col")
		if err != nil || !ok || !valueEqual(got, v) {
			t.Errorf("Load = %#v, %t, %v; want %#v", got, ok, err, v)
		}
	}
	if err := s.Save("col", func() {}); !errors.Is(err, ErrBadValue) {
		t.Errorf("Save(func) = %v", err)
	}
	if err := s.Save("a/b", 1); !errors.Is(err, ErrBadName) || err.Error() != `state name "a/b" must match [A-Za-z0-9_.-]+ (at most 200 characters, no "..")` {
		t.Errorf("Save(a/b) = %v", err)
	}
	must(t, s.Save("col", "last"))
	must(t, s.Close())

	s, err = Open(dir)
	must(t, err)
	defer s.Close()
	if v, ok, err := s.Load("col"); v != "last" || !ok || err != nil {
		t.Errorf("Load after reopen = %v, %t, %v", v, ok, err)
	}
}

func TestDeleteSaved(t *testing.T) {
	s := newStore(t)
	must(t, s.Save("col", obj("offset", int64(5))))
	must(t, s.DeleteSaved("col"))
	if v, ok, err := s.Load("col"); v != nil || ok || err != nil {
		t.Errorf("Load after DeleteSaved = %v, %t, %v", v, ok, err)
	}
	must(t, s.DeleteSaved("col")) // nothing saved: no error
	if err := s.DeleteSaved("a/b"); !errors.Is(err, ErrBadName) {
		t.Errorf("DeleteSaved(a/b) = %v", err)
	}
}

// TestSaveKillAtomic kills a process that saves in a loop and checks that
// the state is one whole saved value, at least as recent as the last Save
// that returned.
func TestSaveKillAtomic(t *testing.T) {
	for round := range 3 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			dir := t.TempDir()
			ch := startHelper(t, "saves", dir, "col")
			var last int64
			for range 20 + round*30 {
				fmt.Sscan(ch.line(t), &last)
			}
			must(t, ch.cmd.Process.Kill())
			ch.cmd.Wait()
			s, err := Open(dir)
			must(t, err)
			defer s.Close()
			v, ok, err := s.Load("col")
			if err != nil || !ok {
				t.Fatalf("Load after kill -9 = %v, %t, %v", v, ok, err)
			}
			step, _ := v.(interface{ Get(string) (any, bool) }).Get("step")
			i, _ := step.(int64)
			if i < last || !valueEqual(v, statePayload(i)) {
				t.Errorf("after kill -9 at step >= %d the state is step %v (whole: %t)", last, step, valueEqual(v, statePayload(i)))
			}
		})
	}
}

func TestLockedState(t *testing.T) {
	dir := t.TempDir()
	s1, err := Open(dir)
	must(t, err)
	defer s1.Close()
	must(t, s1.Save("col", 1))
	// goleveldb's flock conflicts between two opens even in one process, so
	// a second Store stands in for a second process here (across processes:
	// TestLockedByAnotherProcess).
	s2, err := Open(dir)
	must(t, err)
	defer s2.Close()
	_, _, err = s2.Load("col")
	var le *LockedError
	if !errors.As(err, &le) || !strings.HasPrefix(err.Error(), "state directory "+dir+" is in use by pid ") || le.PID == 0 {
		t.Errorf("Load of a held state = %v", err)
	}
}

func TestDumpLoad(t *testing.T) {
	s := newStore(t)
	c := openCache(t, s, "src", CacheConfig{})
	must(t, c.Put([]any{"u", 1}, obj("a", []any{}), 0))
	must(t, c.Put("x", []byte{0}, 0))
	must(t, s.Save("col", int64(7)))

	type rec struct{ k, v any }
	var recs []rec
	must(t, s.Dump("src", func(l DumpLine) error { recs = append(recs, rec{l.Key, l.Value}); return nil }))
	if len(recs) != 2 || FormatKey(recs[0].k) != `"x"` || FormatKey(recs[1].k) != `{"u", 1}` {
		t.Fatalf("Dump = %v", recs)
	}
	var st []rec
	must(t, s.Dump("state/col", func(l DumpLine) error { st = append(st, rec{l.Key, l.Value}); return nil }))
	if len(st) != 1 || st[0].k != nil || st[0].v != int64(7) {
		t.Errorf("Dump of state = %v", st)
	}

	// Load 2500 records (three batches) into a cache that is not open.
	i := 0
	must(t, s.LoadDump("dst", func() (DumpLine, error) {
		if i == 2500 {
			return DumpLine{}, io.EOF
		}
		i++
		return DumpLine{Key: i, Value: i * 2}, nil
	}))
	d := openCache(t, s, "dst", CacheConfig{})
	if n, _ := d.Count(); n != 2500 {
		t.Errorf("loaded %d entries", n)
	}
	if v, _, _ := d.Get(2500); v != int64(5000) {
		t.Errorf("Get(2500) = %v", v)
	}
	n := 0
	must(t, s.LoadDump("state/col2", func() (DumpLine, error) {
		if n++; n > 2 {
			return DumpLine{}, io.EOF
		}
		return DumpLine{Value: n}, nil
	}))
	if v, _, _ := s.Load("col2"); v != int64(2) {
		t.Errorf("state loaded from dump = %v", v)
	}
	boom := errors.New("boom")
	if err := s.LoadDump("dst", func() (DumpLine, error) { return DumpLine{}, boom }); err != boom {
		t.Errorf("LoadDump error = %v", err)
	}
}
