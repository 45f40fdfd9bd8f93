package codec

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/streamctl/streamctl/value"
)

func mp(t testing.TB, vs ...any) string {
	t.Helper()
	var b bytes.Buffer
	enc := msgpack.NewEncoder(&b)
	for _, v := range vs {
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

func unhex(t testing.TB, s string) string {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMsgpackDecode(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 600, time.UTC)
	for _, tt := range []struct {
		name string
		in   string
		want []any // values, or errors as strings prefixed "!"
	}{
		{"empty", "", nil},
		{"scalars", mp(t, nil, true, int8(-5), uint16(300), int64(math.MinInt64), uint64(math.MaxUint64), float32(1.5), 2.25, "s", []byte{0, 1}),
			[]any{nil, true, int64(-5), int64(300), int64(math.MinInt64), value.Number("18446744073709551615"), 1.5, 2.25, "s", []byte{0, 1}}},
		// map {b:1, a:[2], 3: x, true: y, nil: z}
		{"map order and keys", unhex(t, "85 a162 01 a161 9102 03 a178 c3 a179 c0 a17a"),
			[]any{value.Object{{Key: "b", Value: int64(1)}, {Key: "a", Value: []any{int64(2)}}, {Key: "3", Value: "x"}, {Key: "true", Value: "y"}, {Key: "null", Value: "z"}}}},
		{"duplicate keys", unhex(t, "83 a161 01 a162 02 a161 03"), []any{value.Object{{Key: "a", Value: int64(3)}, {Key: "b", Value: int64(2)}}}},
		{"timestamp", mp(t, ts), []any{"2024-01-02T03:04:05.0000006Z"}},
		{"other ext", unhex(t, "d4 05 ff"), []any{[]byte{0xff}}},
		{"truncated", unhex(t, "01 92 01"), []any{int64(1), "!invalid msgpack: unexpected end of input"}},
		{"truncated str", unhex(t, "db ffffffff 61"), []any{"!invalid msgpack: unexpected end of input"}},
		{"truncated bin", unhex(t, "c6 7fffffff 61"), []any{"!invalid msgpack: unexpected end of input"}},
		{"huge array", unhex(t, "dd ffffffff 01"), []any{"!invalid msgpack: unexpected end of input"}},
		{"never used code", unhex(t, "c1 01"), []any{"!invalid msgpack: invalid code 0xc1"}},
		{"too deep", strings.Repeat("\x91", 2000) + "\x01", []any{"!invalid msgpack: values nested deeper than 1000"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeAll(t, mustLookup(t, "msgpack"), tt.in)
			var vals []any
			for i, r := range got {
				if r.pos != int64(i+1) {
					t.Fatalf("record %d has pos %d", i, r.pos)
				}
				if r.err != "" {
					vals = append(vals, "!"+r.err)
				} else {
					vals = append(vals, r.v)
				}
			}
			if !reflect.DeepEqual(vals, tt.want) {
				t.Fatalf("got  %#v\nwant %#v", vals, tt.want)
			}
		})
	}
}

func TestMsgpackRaw(t *testing.T) {
	in := mp(t, map[string]any{"a": []any{1, "x"}}, "hello")
	d := mustLookup(t, "msgpack").NewDecoder(iotest.OneByteReader(strings.NewReader(in)))
	var raws []byte
	for {
		_, raw, _, err := d.Decode()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, raw...)
	}
	if string(raws) != in {
		t.Fatalf("raw bytes %x, want %x", raws, in)
	}
}

func TestMsgpackReadError(t *testing.T) {
	d := mustLookup(t, "msgpack").NewDecoder(iotest.ErrReader(errors.New("boom")))
	if _, _, _, err := d.Decode(); err == nil || err.Error() != "boom" {
		t.Fatalf("err = %v", err)
	}
}

func TestMsgpackEncode(t *testing.T) {
	c := mustLookup(t, "msgpack")
	in := []any{
		value.Object{{Key: "z", Value: int64(1)}, {Key: "a", Value: []any{nil, true, 1.5, float32(2), "s", []byte{1}}}},
		map[string]any{"b": 1, "a": uint64(math.MaxUint64)},
		int8(-3),
	}
	out, err := encodeAll(t, c, in...)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{
		value.Object{{Key: "z", Value: int64(1)}, {Key: "a", Value: []any{nil, true, 1.5, 2.0, "s", []byte{1}}}},
		value.Object{{Key: "a", Value: value.Number("18446744073709551615")}, {Key: "b", Value: int64(1)}},
		int64(-3),
	}
	var got []any
	for _, r := range decodeAll(t, c, out) {
		got = append(got, r.v)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
	if _, err := encodeAll(t, c, []any{make(chan int)}); err == nil || err.Error() != "cannot encode chan int as msgpack" {
		t.Fatalf("err = %v", err)
	}
	msg, err := c.Marshal([]byte{0xff}, "a")
	if err != nil || string(msg) != "\xff\xa1a" {
		t.Fatalf("Marshal: %x %v", msg, err)
	}
	v, err := c.Unmarshal(msg[1:])
	if err != nil || v != "a" {
		t.Fatalf("Unmarshal: %v %v", v, err)
	}
	if _, err := c.Unmarshal([]byte("\x01\x02")); err == nil || err.Error() != "invalid msgpack: 1 bytes after the value" {
		t.Fatalf("Unmarshal trailing: %v", err)
	}
	if _, err := c.Unmarshal(nil); err == nil || err.Error() != "invalid msgpack: unexpected end of input" {
		t.Fatalf("Unmarshal empty: %v", err)
	}
}

func FuzzMsgpack(f *testing.F) {
	f.Add([]byte(mp(f, map[string]any{"a": []any{1, "x", nil, 2.5}}, "s", time.Unix(1, 2))))
	f.Add([]byte(unhex(f, "85 a162 01 a161 9102 03 a178 c3 a179 c0 a17a")))
	f.Add([]byte(unhex(f, "dd ffffffff 01 c1")))
	f.Fuzz(func(t *testing.T, in []byte) {
		c := mustLookup(t, "msgpack")
		for _, r := range decodeAll(t, c, string(in)) {
			if r.err != "" {
				if !strings.HasPrefix(r.err, "invalid msgpack: ") {
					t.Fatalf("bad error %q", r.err)
				}
				continue
			}
			enc, err := c.Marshal(nil, r.v)
			if err != nil {
				t.Fatalf("encode %#v: %v", r.v, err)
			}
			back, err := c.Unmarshal(enc)
			if err != nil {
				t.Fatalf("decode %x: %v", enc, err)
			}
			enc2, err := c.Marshal(nil, back)
			if err != nil || !bytes.Equal(enc, enc2) {
				t.Fatalf("not a fixpoint: %x -> %x (%v)", enc, enc2, err)
			}
		}
	})
}
