package codec

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/streamctl/streamctl/value"
)

const testAvroSchema = `{
  "type": "record", "name": "Event", "namespace": "t",
  "fields": [
    {"name": "id", "type": "long"},
    {"name": "name", "type": "string"},
    {"name": "score", "type": ["null", "double"], "default": null},
    {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
    {"name": "tags", "type": {"type": "array", "items": "string"}},
    {"name": "attrs", "type": {"type": "map", "values": "int"}},
    {"name": "hash", "type": {"type": "fixed", "name": "H", "size": 2}},
    {"name": "blob", "type": "bytes", "default": ""},
    {"name": "f", "type": "float", "default": 0},
    {"name": "ok", "type": "boolean", "default": true},
    {"name": "inner", "type": ["null", {"type": "record", "name": "Inner", "fields": [
      {"name": "x", "type": "int"}, {"name": "next", "type": ["null", "Inner"], "default": null}]}], "default": null}
  ]}`

func newTestAvro(t testing.TB) Codec {
	t.Helper()
	c, err := NewAvro(testAvroSchema)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAvroRoundTrip(t *testing.T) {
	c := newTestAvro(t)
	if c.Name() != "avro" {
		t.Fatalf("Name() = %q", c.Name())
	}
	in := []any{
		value.Object{{Key: "tags", Value: []any{"x", "y"}}, {Key: "id", Value: int64(7)}, {Key: "name", Value: "n"}, {Key: "score", Value: 1.5}, {Key: "kind", Value: "B"},
			{Key: "attrs", Value: value.Object{{Key: "k", Value: int64(1)}, {Key: "j", Value: 2.0}}}, {Key: "hash", Value: "ab"},
			{Key: "inner", Value: value.Object{{Key: "x", Value: 3}, {Key: "next", Value: map[string]any{"x": int64(4)}}}}},
		map[string]any{"id": 1.0, "name": "m", "kind": "A", "tags": []any{}, "attrs": map[string]any{}, "hash": []byte{1, 2},
			"blob": []byte("b"), "f": 0.5, "ok": false, "score": nil},
	}
	want := []any{
		value.Object{{Key: "id", Value: int64(7)}, {Key: "name", Value: "n"}, {Key: "score", Value: 1.5}, {Key: "kind", Value: "B"}, {Key: "tags", Value: []any{"x", "y"}},
			{Key: "attrs", Value: value.Object{{Key: "k", Value: int64(1)}, {Key: "j", Value: int64(2)}}}, {Key: "hash", Value: []byte("ab")}, {Key: "blob", Value: []byte{}},
			{Key: "f", Value: 0.0}, {Key: "ok", Value: true}, {Key: "inner", Value: value.Object{{Key: "x", Value: int64(3)}, {Key: "next", Value: value.Object{{Key: "x", Value: int64(4)}, {Key: "next", Value: nil}}}}}},
		value.Object{{Key: "id", Value: int64(1)}, {Key: "name", Value: "m"}, {Key: "score", Value: nil}, {Key: "kind", Value: "A"}, {Key: "tags", Value: []any{}},
			{Key: "attrs", Value: value.Object{}}, {Key: "hash", Value: []byte{1, 2}}, {Key: "blob", Value: []byte("b")},
			{Key: "f", Value: 0.5}, {Key: "ok", Value: false}, {Key: "inner", Value: nil}},
	}
	out, err := encodeAll(t, c, in...)
	if err != nil {
		t.Fatal(err)
	}
	got := decodeAll(t, c, out)
	if len(got) != 2 {
		t.Fatalf("%d records: %+v", len(got), got)
	}
	for i, r := range got {
		if r.err != "" || r.pos != int64(i+1) || !reflect.DeepEqual(r.v, want[i]) {
			t.Fatalf("record %d: %+v\nwant %#v", i, r, want[i])
		}
		msg, err := c.Marshal(nil, in[i])
		if err != nil {
			t.Fatal(err)
		}
		v, err := c.Unmarshal(msg)
		if err != nil || !reflect.DeepEqual(v, want[i]) {
			t.Fatalf("Unmarshal %d: %#v %v", i, v, err)
		}
	}
}

func TestAvroErrors(t *testing.T) {
	c := newTestAvro(t)
	for _, tt := range []struct {
		name string
		in   any
		err  string
	}{
		{"missing field", value.Object{{Key: "id", Value: int64(1)}}, `avro: record t.Event: missing field "name"`},
		{"bad enum", map[string]any{"id": 1, "name": "n", "kind": "C"}, `field "kind": avro: string "C" is not a symbol of enum t.Kind`},
		{"not a record", "x", `avro: cannot encode string as record t.Event`},
		{"fractional long", map[string]any{"id": 1.5}, `field "id": avro: cannot encode float64 as long`},
		{"fixed size", map[string]any{"id": 1, "name": "n", "kind": "A", "tags": []any{}, "attrs": value.Object{}, "hash": "abc"},
			`field "hash": avro: cannot encode string "abc" as fixed t.H of size 2`},
		{"union", map[string]any{"id": 1, "name": "n", "score": "high"}, `field "score": avro: string "high" matches no branch of union ["null","double"]`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Marshal(nil, tt.in)
			if err == nil || err.Error() != tt.err {
				t.Fatalf("err = %v, want %s", err, tt.err)
			}
		})
	}

	good, err := c.Marshal(nil, map[string]any{"id": 1, "name": "n", "kind": "A", "tags": []any{}, "attrs": value.Object{}, "hash": "ab"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		in   []byte
		err  string
	}{
		{"truncated", good[:len(good)-1], "invalid Avro: unexpected end of input"},
		{"trailing", append(append([]byte{}, good...), 0), "invalid Avro: bytes after the datum"},
		{"bad enum index", []byte{2, 2, 'n', 0, 8}, "invalid Avro: enum index 4 out of range"},
		{"bad union index", []byte{2, 2, 'n', 8}, "invalid Avro: union index 4 out of range"},
		{"negative length", []byte{2, 1}, "invalid Avro: ReadSTRING: invalid string length"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Unmarshal(tt.in)
			if err == nil || err.Error() != tt.err {
				t.Fatalf("err = %v, want %s", err, tt.err)
			}
		})
	}
	got := decodeAll(t, c, string(good)+string(good[:3]))
	if len(got) != 2 || got[1].err != "invalid Avro: unexpected end of input" || got[1].pos != 2 {
		t.Fatalf("stream: %+v", got)
	}
}

func TestNewAvro(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.avsc")
	if err := os.WriteFile(path, []byte(`"long"`), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.avsc")
	if err := os.WriteFile(bad, []byte(`{"type":"nope"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, schema, err string }{
		{"file", path, ""},
		{"text with spaces", "  \n\"string\"", ""},
		{"array text", `["null","int"]`, ""},
		{"missing file", filepath.Join(dir, "none.avsc"), "avro: read schema " + filepath.Join(dir, "none.avsc") + ": open " + filepath.Join(dir, "none.avsc") + ": no such file or directory"},
		{"bad text", `{"type":"record"}`, "avro: parse schema: "},
		{"bad file", bad, "avro: parse schema: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewAvro(tt.schema)
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %s...", err, tt.err)
				}
				return
			}
			if err != nil || c.Name() != "avro" {
				t.Fatal(err)
			}
		})
	}
	c, _ := NewAvro(path)
	msg, err := c.Marshal(nil, int64(-2))
	if err != nil || !bytes.Equal(msg, []byte{3}) {
		t.Fatalf("Marshal: %x %v", msg, err)
	}
}

func FuzzAvro(f *testing.F) {
	c := newTestAvro(f)
	good, err := c.Marshal(nil, map[string]any{"id": 1, "name": "n", "kind": "A", "tags": []any{"t"},
		"attrs": value.Object{{Key: "a", Value: 1}}, "hash": "ab", "inner": value.Object{{Key: "x", Value: 1}, {Key: "next", Value: value.Object{{Key: "x", Value: 2}}}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(append(good, good...))
	f.Add([]byte{2, 2, 'n', 0, 0x81, 0x80, 0x80, 0x80, 0x10})
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, r := range decodeAll(t, c, string(in)) {
			if r.err != "" {
				if !strings.HasPrefix(r.err, "invalid Avro: ") {
					t.Fatalf("bad error %q", r.err)
				}
				continue
			}
			enc, err := c.Marshal(nil, r.v)
			if err != nil {
				t.Fatalf("encode %#v: %v", r.v, err)
			}
			back, err := c.Unmarshal(enc)
			if err != nil || !reflect.DeepEqual(back, r.v) {
				t.Fatalf("round trip: %#v -> %#v (%v)", r.v, back, err)
			}
		}
	})
}
