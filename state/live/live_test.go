package live

import (
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/streamctl/streamctl/state"
)

func TestServe(t *testing.T) {
	dir := t.TempDir()
	var srv *Server
	st, err := state.Open(dir, state.WithOnOpen(func(st *state.Store) (err error) {
		srv, err = Listen(st, slog.New(slog.DiscardHandler))
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.Cache("hits", state.CacheConfig{})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Put("a", int64(1), 0))
	must(c.Put("b", "x", time.Hour))
	must(c.Deferred().Put("c", int64(3), 0)) // pending: not in a snapshot
	must(st.Save("col", []any{int64(7)}))
	defer srv.Close()

	cl := NewClient(dir)
	names, err := cl.Names()
	must(err)
	if !slices.Equal(names, []string{"hits", "state/col"}) {
		t.Errorf("Names = %v", names)
	}
	var got []string
	must(cl.Entries("hits", func(e state.RawEntry) error {
		k, err := state.DecodeKey(e.Key)
		must(err)
		v, err := state.DecodeValue(e.Value)
		must(err)
		got = append(got, state.FormatKey(k)+"="+state.FormatKey(v))
		if (k == "b") != (e.Expires > 0) {
			t.Errorf("%v expires %d", k, e.Expires)
		}
		return nil
	}))
	if !slices.Equal(got, []string{`"a"=1`, `"b"="x"`}) {
		t.Errorf("entries of hits = %v", got)
	}
	n := 0
	must(cl.Entries("state/col", func(e state.RawEntry) error {
		n++
		if e.Key != nil {
			t.Errorf("a saved state has key %q", e.Key)
		}
		return nil
	}))
	if n != 1 {
		t.Errorf("%d entries of state/col", n)
	}
	if err := cl.Entries("nope", func(state.RawEntry) error { return nil }); !errors.Is(err, state.ErrNotExist) ||
		err.Error() != "cache nope does not exist in "+dir {
		t.Errorf("Entries of a missing cache = %v", err)
	}
	if v, ok, err := cl.Get("hits", "a"); v != int64(1) || !ok || err != nil {
		t.Errorf("Get(hits, a) = %v, %t, %v", v, ok, err)
	}
	if _, ok, err := cl.Get("hits", "c"); ok || err != nil {
		t.Errorf("Get of a pending write = %t, %v", ok, err)
	}
	if v, ok, err := cl.Get("state/col", nil); !ok || err != nil || len(v.([]any)) != 1 {
		t.Errorf("Get(state/col) = %v, %t, %v", v, ok, err)
	}
	var lines []state.DumpLine
	must(cl.Dump("hits", func(l state.DumpLine) error { lines = append(lines, l); return nil }))
	if len(lines) != 2 || lines[1].Key != "b" || lines[1].Expires.IsZero() {
		t.Errorf("Dump = %+v", lines)
	}
	if err := cl.CheckExists("nope"); !errors.Is(err, state.ErrNotExist) {
		t.Errorf("CheckExists(nope) = %v", err)
	}
	// After a commit the pending write is visible.
	must(st.Commit(nil))
	got = got[:0]
	must(cl.Entries("hits", func(e state.RawEntry) error { got = append(got, string(e.Key)); return nil }))
	if len(got) != 3 {
		t.Errorf("after the commit %d entries, want 3", len(got))
	}
	must(srv.Close())
	if _, err := cl.Names(); !errors.Is(err, ErrNoServer) {
		t.Errorf("Names without a server = %v", err)
	}
}
