package codec

import (
	"reflect"
	"strings"
	"testing"

	"github.com/streamctl/streamctl/value"
)

func TestCSVDecode(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     []rec
	}{
		{"empty", "", nil},
		{"header only", "a,b\n", nil},
		{"rows", "a,b\n1,x\n2,\n", []rec{
			{v: value.Object{{Key: "a", Value: "1"}, {Key: "b", Value: "x"}}, raw: "1,x", pos: 2},
			{v: value.Object{{Key: "a", Value: "2"}, {Key: "b", Value: ""}}, raw: "2,", pos: 3}}},
		{"bom crlf no final newline", "\xef\xbb\xbfid,n\r\n7,\"q\"\"\"", []rec{
			{v: value.Object{{Key: "id", Value: "7"}, {Key: "n", Value: `q"`}}, raw: `7,"q"""`, pos: 2}}},
		{"multi-line field", "a,b\n\"x\ny\",1\n2,3\n", []rec{
			{v: value.Object{{Key: "a", Value: "x\ny"}, {Key: "b", Value: "1"}}, raw: "\"x\ny\",1", pos: 2},
			{v: value.Object{{Key: "a", Value: "2"}, {Key: "b", Value: "3"}}, raw: "2,3", pos: 4}}},
		{"empty lines skipped", "a\n\n1\n\n2\n", []rec{
			{v: value.Object{{Key: "a", Value: "1"}}, raw: "1", pos: 3},
			{v: value.Object{{Key: "a", Value: "2"}}, raw: "2", pos: 5}}},
		{"ragged", "a,b,c,d\n1,2,3\n1,2,3,4\n", []rec{
			{raw: "1,2,3", pos: 2, err: "invalid CSV: row has 3 fields, header has 4"},
			{v: value.Object{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}, {Key: "c", Value: "3"}, {Key: "d", Value: "4"}}, raw: "1,2,3,4", pos: 3}}},
		{"bare quote", "a,b\n1,x\"y\n3,4\n", []rec{
			{raw: "1,x\"y", pos: 2, err: `invalid CSV: line 2, column 4: bare " in non-quoted-field`},
			{v: value.Object{{Key: "a", Value: "3"}, {Key: "b", Value: "4"}}, raw: "3,4", pos: 3}}},
		{"unterminated quote", "a\n\"x\n", []rec{
			{raw: "\"x", pos: 2, err: `invalid CSV: line 2, column 4: extraneous or missing " in quoted-field`}}},
		{"duplicate header", "a,b,a\n1,2,3\n", []rec{
			{raw: "a,b,a", pos: 1, err: `invalid CSV: duplicate column "a" in header`}}},
		{"bad header", "a\"b\n1\n", []rec{
			{raw: "a\"b", pos: 1, err: `invalid CSV: line 1, column 2: bare " in non-quoted-field`}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeAll(t, mustLookup(t, "csv"), tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestCSVEncode(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []any
		want string
		err  string
	}{
		{"objects: header order, missing keys empty", []any{
			value.Object{{Key: "b", Value: "x"}, {Key: "a", Value: int64(1)}},
			value.Object{{Key: "a", Value: 2.5}},
			map[string]any{"b": "m"},
		}, "b,a\nx,1\n,2.5\nm,\n", ""},
		{"a key the header lacks", []any{value.Object{{Key: "a", Value: int64(1)}}, value.Object{{Key: "a", Value: 2.5}, {Key: "b", Value: int64(2)}}},
			"", `csv: field "b" is not in the header "a" (the first record's fields, written before this record)`},
		{"a map key the header lacks", []any{map[string]any{"a": 1}, map[string]any{"z": 1, "c": 2}},
			"", `csv: field "c" is not in the header "a" (the first record's fields, written before this record)`},
		{"an empty key the header lacks", []any{value.Object{{Key: "a", Value: int64(1)}}, value.Object{{Key: "", Value: int64(2)}}},
			"", `csv: field "" is not in the header "a" (the first record's fields, written before this record)`},
		{"map header sorted", []any{map[string]any{"z": true, "a": nil}}, "a,z\n,true\n", ""},
		{"tables as JSON, quoting", []any{value.Object{{Key: "t", Value: []any{int64(1), "a"}}, {Key: "s", Value: "x,\"y\"\n"}}},
			"t,s\n\"[1,\"\"a\"\"]\",\"x,\"\"y\"\"\n\"\n", ""},
		{"array first: no header", []any{[]any{"a", int64(1)}, value.Object{{Key: "k", Value: "v"}, {Key: "j", Value: 2}}, "scalar"},
			"a,1\nv,2\nscalar\n", ""},
		{"array after header", []any{value.Object{{Key: "k", Value: "v"}}, []any{"x", "y"}}, "k\nv\nx,y\n", ""},
		{"unsupported", []any{value.Object{{Key: "k", Value: struct{}{}}}}, "", "csv: cannot encode struct {} as text"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := encodeAll(t, mustLookup(t, "csv"), tt.in...)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestCSVMessage(t *testing.T) {
	c := mustLookup(t, "csv")
	for _, tt := range []struct {
		name, in string
		want     any
		err      string
	}{
		{"row", "a,\"b,c\"\n", []any{"a", "b,c"}, ""},
		{"empty", "", []any{}, ""},
		{"two rows", "a\nb\n", nil, "invalid CSV: message holds more than one row"},
		{"bad", "a\"", nil, `invalid CSV: line 1, column 2: bare " in non-quoted-field`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Unmarshal([]byte(tt.in))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, %v", got, err)
			}
		})
	}
	msg, err := c.Marshal([]byte(">"), value.Object{{Key: "a", Value: "x,y"}, {Key: "b", Value: int64(2)}})
	if err != nil || string(msg) != `>"x,y",2` {
		t.Fatalf("Marshal: %q %v", msg, err)
	}
}

func FuzzCSV(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "a\n\"x\ny\"\n", "\xef\xbb\xbfa,b\r\n1\n1,2,3\n", "a,a\n", "a\"\n", "\"\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c := mustLookup(t, "csv")
		var objs []any
		lastPos := int64(0)
		for _, r := range decodeAll(t, c, in) {
			if r.pos <= lastPos {
				t.Fatalf("positions not increasing: %d after %d", r.pos, lastPos)
			}
			lastPos = r.pos
			if r.err != "" {
				if !strings.HasPrefix(r.err, "invalid CSV: ") {
					t.Fatalf("bad error %q", r.err)
				}
				continue
			}
			objs = append(objs, r.v)
		}
		if len(objs) == 0 {
			return
		}
		out, err := encodeAll(t, c, objs...)
		if err != nil {
			t.Fatal(err)
		}
		var back []any
		for _, r := range decodeAll(t, c, out) {
			if r.err != "" {
				t.Fatalf("re-decoding %q: %s", out, r.err)
			}
			back = append(back, r.v)
		}
		if !reflect.DeepEqual(normalizeCSV(back), normalizeCSV(objs)) {
			t.Fatalf("round trip:\n%#v\n%#v\nvia %q", back, objs, out)
		}
	})
}

// normalizeCSV maps "\r\n" to "\n" in values: encoding/csv reads a quoted
// "\r\n" as "\n".
func normalizeCSV(vs []any) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		o := append(value.Object(nil), v.(value.Object)...)
		for j := range o {
			o[j].Value = strings.ReplaceAll(o[j].Value.(string), "\r\n", "\n")
		}
		out[i] = o
	}
	return out
}
