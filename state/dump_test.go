package state

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/streamctl/streamctl/value"
)

func TestExportImport(t *testing.T) {
	src := newStore(t)
	c, err := src.Cache("hits", CacheConfig{})
	must(t, err)
	must(t, c.Put("a", int64(1), 0))
	must(t, c.Put([]any{"user", int64(7)}, value.Object{{Key: "tags", Value: []any{}}, {Key: "n", Value: 1.5}}, 0))
	must(t, c.Put(int64(3), []byte{0, 0xff}, 0))
	must(t, src.Save("progress", value.Object{{Key: "done", Value: int64(3)}}))
	var dump bytes.Buffer
	must(t, src.Export(&dump, testJSON))
	if n := strings.Count(dump.String(), "\n"); n != 4 {
		t.Fatalf("Export wrote %d lines, want 4:\n%s", n, dump.String())
	}

	dst := newStore(t)
	must(t, dst.Import(bytes.NewReader(dump.Bytes()), testJSON))
	var again bytes.Buffer
	must(t, dst.Export(&again, testJSON))
	if again.String() != dump.String() {
		t.Errorf("export after import:\n%s\nwant:\n%s", again.String(), dump.String())
	}
	got, ok, err := dst.Load("progress")
	if err != nil || !ok || !reflect.DeepEqual(got, value.Object{{Key: "done", Value: int64(3)}}) {
		t.Errorf("Load(progress) = %#v, %t, %v", got, ok, err)
	}

	// Export of named caches only.
	var one bytes.Buffer
	must(t, src.Export(&one, testJSON, "state/progress"))
	if n := strings.Count(one.String(), "\n"); n != 1 {
		t.Errorf("Export(state/progress) wrote %d lines, want 1", n)
	}
}

func TestImportErrors(t *testing.T) {
	rec := func(v any) string {
		b, err := testJSON.Marshal(nil, v)
		must(t, err)
		return string(b)
	}
	good := rec(value.Object{{Key: "cache", Value: "c"}, {Key: "key", Value: "k"}, {Key: "value", Value: int64(1)}})
	noKey := rec(value.Object{{Key: "cache", Value: "c"}, {Key: "value", Value: int64(1)}})
	for _, tt := range []struct {
		name, in string
		line     int
		want     string
	}{
		{"undecodable", good + "\n\nzz\n", 3, `line 3: invalid JSON: expected a value, got "zz" (column 1)`},
		{"no key", good + "\n" + noKey + "\n", 2, `line 2: want {"cache": NAME, "key": KEY, "value": VALUE[, "expires": TIME]}`},
		{"not an object", rec([]any{"c", "k", int64(1)}) + "\n", 1, `line 1: want {"cache": NAME, "key": KEY, "value": VALUE[, "expires": TIME]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			err := s.Import(strings.NewReader(tt.in), testJSON)
			var ie *ImportError
			if !errors.As(err, &ie) || ie.Line != tt.line || err.Error() != tt.want {
				t.Fatalf("Import = %v, want %q", err, tt.want)
			}
		})
	}
}
