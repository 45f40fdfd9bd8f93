package state

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/value"
)

// testJSON is the Format the CLI gives Export and Import: the JSON codec.
// (Only tests of package state import a codec.)
var testJSON, _ = codec.Lookup("json")

// dumpValues holds a value of every kind a cache holds.
var dumpValues = []struct {
	name string
	v    any
	line string // the value as a dump line writes it
}{
	{"null", nil, `null`},
	{"false", false, `false`},
	{"true", true, `true`},
	{"int", int64(-42), `-42`},
	{"int max", int64(math.MaxInt64), `9223372036854775807`},
	{"int min", int64(math.MinInt64), `-9223372036854775808`},
	{"2^53+1", int64(1<<53 + 1), `9007199254740993`},
	{"long integer", value.Number("12345678901234567890123"), `12345678901234567890123`},
	{"integer beyond float64", value.Number("1" + strings.Repeat("0", 400)), `{"$number":"1` + strings.Repeat("0", 400) + `"}`},
	{"float", 1.5, `1.5`},
	{"integral float", 3.0, `3.0`},
	{"float 1e21", 1e21, `1e+21`},
	{"float 2^63", float64(1 << 63), `9.223372036854776e+18`},
	{"minus zero", math.Copysign(0, -1), `-0.0`},
	{"subnormal", math.SmallestNonzeroFloat64, `5e-324`},
	{"nan", math.NaN(), `{"$float":"NaN"}`},
	{"nan payload", math.Float64frombits(0xfff8_0000_0000_0000), `{"$float":"0xfff8000000000000"}`},
	{"inf", math.Inf(1), `{"$float":"+Inf"}`},
	{"-inf", math.Inf(-1), `{"$float":"-Inf"}`},
	{"string", "héllo \"q\"\n\t", `"héllo \"q\"\n\t"`},
	{"empty string", "", `""`},
	{"bytes in a string", "a\x00b\xff\xfe", `{"$string":"YQBi//4="}`},
	{"surrogate bytes", "\xed\xa0\x80", `{"$string":"7aCA"}`},
	{"byte string", []byte{0, 1, 0xff}, `{"$bytes":"AAH/"}`},
	{"empty byte string", []byte{}, `{"$bytes":""}`},
	{"array", []any{int64(1), "two", 3.5, nil, []any{}}, `[1,"two",3.5,null,[]]`},
	{"empty array", []any{}, `[]`},
	{"object", obj("z", int64(1), "a", nil, "m", value.Object{}), `{"z":1,"a":null,"m":{}}`},
	{"empty object", value.Object{}, `{}`},
	{"object that looks like an escape", obj("$bytes", "AAH/"), `{"$object":[["$bytes","AAH/"]]}`},
	{"object with an unknown dollar key", obj("$ref", int64(1)), `{"$object":[["$ref",1]]}`},
	{"object with two dollar keys", obj("$a", int64(1), "$b", int64(2)), `{"$a":1,"$b":2}`},
	{"object with a key that is not UTF-8", obj("k\xff", true), `{"$object":[[{"$string":"a/8="},true]]}`},
	{"object with a key twice", obj("a", int64(1), "b", int64(2), "a", int64(3)), `{"$object":[["a",1],["b",2],["a",3]]}`},
	{"table", value.Table{{Key: int64(1), Value: "a"}, {Key: int64(3), Value: "c"}, {Key: true, Value: 1.5}, {Key: 2.5, Value: nil}, {Key: "x", Value: []any{}}},
		`{"$table":[[1,"a"],[3,"c"],[true,1.5],[2.5,null],["x",[]]]}`},
	{"nested", []any{obj("k", []any{[]byte("x"), "\xff", value.Table{{Key: false, Value: math.Inf(1)}}})},
		`[{"k":[{"$bytes":"eA=="},{"$string":"/w=="},{"$table":[[false,{"$float":"+Inf"}]]}]}]`},
}

// dumpKeys holds a key of every kind.
var dumpKeys = []struct {
	k    any
	line string
}{
	{"user1", `"user1"`},
	{"", `""`},
	{"k\xff\x00", `{"$string":"a/8A"}`},
	{int64(42), `42`},
	{int64(-1 << 62), `-4611686018427387904`},
	{2.5, `2.5`},
	{math.Inf(-1), `{"$float":"-Inf"}`},
	{true, `true`},
	{[]any{"u1", int64(5), []any{false, 0.5}}, `["u1",5,[false,0.5]]`},
}

// TestDumpLineRoundTrip writes and reads back a line for every kind of
// value and key, with and without an expiry, and compares bit for bit.
func TestDumpLineRoundTrip(t *testing.T) {
	exp := time.Date(2026, 12, 6, 10, 0, 0, 123456789, time.FixedZone("x", 3600))
	for _, k := range dumpKeys {
		for _, tt := range dumpValues {
			for _, expires := range []time.Time{{}, exp} {
				in := DumpLine{Cache: "c", Key: k.k, Value: tt.v, Expires: expires}
				line, err := appendDumpLine(nil, testJSON, in)
				if err != nil {
					t.Fatalf("%s at %s: %v", tt.name, k.line, err)
				}
				want := `{"cache":"c","key":` + k.line + `,"value":` + tt.line
				if !expires.IsZero() {
					want += `,"expires":"2026-12-06T09:00:00.123456789Z"`
				}
				if want += "}"; string(line) != want {
					t.Fatalf("%s: %s\nwant %s", tt.name, line, want)
				}
				if !utf8.Valid(line) || !json.Valid(line) {
					t.Fatalf("%s: %q is not portable JSON", tt.name, line)
				}
				out, err := parseDumpLine(testJSON, line)
				if err != nil {
					t.Fatalf("%s: parseDumpLine(%s): %v", tt.name, line, err)
				}
				checkSameLine(t, in, out)
			}
		}
	}
}

// checkSameLine compares lines by the state's own encodings: EncodeKey and
// EncodeValue are exact, so equal bytes mean equal entries.
func checkSameLine(t *testing.T, in, out DumpLine) {
	t.Helper()
	if in.Cache != out.Cache || !in.Expires.Equal(out.Expires) {
		t.Fatalf("cache or expiry: %+v, want %+v", out, in)
	}
	if (in.Key == nil) != (out.Key == nil) {
		t.Fatalf("key %#v, want %#v", out.Key, in.Key)
	}
	if in.Key != nil {
		a, err1 := EncodeKey(in.Key)
		b, err2 := EncodeKey(out.Key)
		if err1 != nil || err2 != nil || string(a) != string(b) {
			t.Fatalf("key %#v, want %#v (%v, %v)", out.Key, in.Key, err1, err2)
		}
	}
	a, err1 := EncodeValue(in.Value)
	b, err2 := EncodeValue(out.Value)
	if err1 != nil || err2 != nil || string(a) != string(b) {
		t.Fatalf("value %#v, want %#v (%v, %v)", out.Value, in.Value, err1, err2)
	}
}

func TestDumpLineState(t *testing.T) {
	line, err := appendDumpLine(nil, testJSON, DumpLine{Cache: "state/col", Value: obj("offset", int64(42))})
	if err != nil || string(line) != `{"cache":"state/col","key":null,"value":{"offset":42}}` {
		t.Fatalf("%s, %v", line, err)
	}
	for _, in := range []string{string(line), `{"cache":"state/col","value":{"offset":42}}`} {
		l, err := parseDumpLine(testJSON, []byte(in))
		if err != nil || l.Cache != "state/col" || l.Key != nil {
			t.Fatalf("%s: %+v, %v", in, l, err)
		}
	}
}

func TestParseDumpLineErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"cache":"c","key":1,"value":`, `invalid JSON: expected a value, got the end of the document (column 30)`},
		{`[1]`, `want {"cache": NAME, "key": KEY, "value": VALUE[, "expires": TIME]}`},
		{`{"cache":"c","value":1}`, `want {"cache": NAME, "key": KEY, "value": VALUE[, "expires": TIME]}`},
		{`{"cache":1,"key":1,"value":1}`, `want {"cache": NAME, "key": KEY, "value": VALUE[, "expires": TIME]}`},
		{`{"cache":"c","key":1,"value":1,"ttl":5}`, `unknown field "ttl" (want {"cache": NAME, "key": KEY, "value": VALUE[, "expires": TIME]})`},
		{`{"cache":"c","key":1,"value":1,"expires":5}`, `expires must be an RFC 3339 time string, got 5`},
		{`{"cache":"c","key":1,"value":1,"expires":"tomorrow"}`, `expires: parsing time "tomorrow" as "2006-01-02T15:04:05.999999999Z07:00": cannot parse "tomorrow" as "2006"`},
		{`{"cache":"c","key":1,"value":{"$ref":"x"}}`, `value: unknown escape "$ref": a one-member object whose key starts with "$" is an escape ($string, $bytes, $float, $number, $table, $object); write such an object as {"$object": [["$ref", VALUE]]}`},
		{`{"cache":"c","key":1,"value":{"$bytes":"!!"}}`, `value: $bytes: invalid base64: illegal base64 data at input byte 0`},
		{`{"cache":"c","key":1,"value":{"$bytes":1}}`, `value: $bytes: bad argument 1`},
		{`{"cache":"c","key":1,"value":{"$float":"1.5"}}`, `value: $float must be "NaN", "+Inf", "-Inf" or 0x and 16 hex digits, got "1.5"`},
		{`{"cache":"c","key":1,"value":{"$number":"1.5"}}`, `value: $number must be a string of digits, got 1.5`},
		{`{"cache":"c","key":1,"value":{"$table":[[1]]}}`, `value: $table must be a list of [key, value] pairs`},
		{`{"cache":"c","key":1,"value":{"$object":[[1,2]]}}`, `value: $object keys must be strings, got number`},
		{`{"cache":"c","key":{"$float":"x"},"value":1}`, `key: $float must be "NaN", "+Inf", "-Inf" or 0x and 16 hex digits, got "x"`},
	} {
		_, err := parseDumpLine(testJSON, []byte(tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("parseDumpLine(%s) = %v\nwant %s", tt.in, err, tt.want)
		}
	}
}

func TestAppendDumpLineErrors(t *testing.T) {
	for _, tt := range []struct {
		l    DumpLine
		want string
	}{
		{DumpLine{Cache: "c", Key: "k", Value: struct{}{}}, `value at "k": cannot dump a value of type struct {}`},
		{DumpLine{Cache: "c", Key: "k", Value: []any{value.Number("1x")}}, `value at "k": the number "1x" is not an integer's digits`},
		{DumpLine{Cache: "c", Key: func() {}, Value: 1}, `key: cannot dump a value of type func()`},
	} {
		_, err := appendDumpLine(nil, testJSON, tt.l)
		if err == nil || err.Error() != tt.want || !errors.Is(err, ErrBadValue) {
			t.Errorf("appendDumpLine(%+v) = %v, want %s", tt.l, err, tt.want)
		}
	}
}

// TestDumpLoadExpiry checks that Dump reports each entry's expiry and
// LoadDump restores it to the nanosecond.
func TestDumpLoadExpiry(t *testing.T) {
	now := time.Unix(1_800_000_000, 5)
	s := newStore(t, WithClock(func() time.Time { return now }))
	src := openCache(t, s, "src", CacheConfig{})
	must(t, src.Put("never", 1, 0))
	must(t, src.Put("hour", 2, time.Hour))
	must(t, src.PutExpiring("exact", 3, time.Unix(1_900_000_000, 123456789)))
	must(t, src.PutExpiring("gone", 4, now.Add(-time.Second)))
	var lines []DumpLine
	must(t, s.Dump("src", func(l DumpLine) error { lines = append(lines, l); return nil }))
	want := map[string]time.Time{"never": {}, "hour": now.Add(time.Hour), "exact": time.Unix(1_900_000_000, 123456789)}
	if len(lines) != len(want) {
		t.Fatalf("dumped %+v", lines)
	}
	for _, l := range lines {
		if w := want[l.Key.(string)]; !l.Expires.Equal(w) {
			t.Errorf("%v expires %v, want %v", l.Key, l.Expires, w)
		}
	}
	i := 0
	must(t, s.LoadDump("dst", func() (DumpLine, error) {
		if i == len(lines) {
			return DumpLine{}, io.EOF
		}
		i++
		return lines[i-1], nil
	}))
	dst := openCache(t, s, "dst", CacheConfig{})
	for k, w := range want {
		got, ok, err := dst.Expires(k)
		if err != nil || !ok || !got.Equal(w) {
			t.Errorf("loaded %s expires %v, %v, %v; want %v", k, got, ok, err, w)
		}
	}
	if _, ok, _ := dst.Expires("gone"); ok {
		t.Error("an expired entry was dumped")
	}
}

// FuzzDumpLine round-trips fuzz-built keys and values through a dump line.
func FuzzDumpLine(f *testing.F) {
	f.Add([]byte{8, 3, 2, 1, 2, 3, 4, 5, 6, 7, 8, 4, 0, 0, 0, 0, 0, 0, 0, 0x80, 0})
	f.Add([]byte{10, 2, 1, '$', 5, 2, 0, 0xff, 11, 1, 0, 0, 7 | 0x10, 1})
	f.Add([]byte{5, 3, 0xed, 0xa0, 0x80, 12, 1, 1, 'k', 6, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &valueGen{keyGen{data}}
		k := g.key(0)
		v := g.value(0)
		var expires time.Time
		if b := g.byte(); b&1 != 0 {
			expires = time.Unix(0, int64(g.u64()>>1)+1)
		}
		in := DumpLine{Cache: "c", Key: k, Value: v, Expires: expires}
		if _, err := EncodeKey(k); err != nil {
			return // not a key (NaN)
		}
		line, err := appendDumpLine(nil, testJSON, in)
		if err != nil {
			t.Fatalf("appendDumpLine(%#v): %v", in, err)
		}
		if !utf8.Valid(line) || !json.Valid(line) {
			t.Fatalf("%q is not portable JSON", line)
		}
		out, err := parseDumpLine(testJSON, line)
		if err != nil {
			t.Fatalf("parseDumpLine(%s): %v", line, err)
		}
		checkSameLine(t, in, out)
	})
}

// FuzzParseDumpLine reads arbitrary lines: no panic, a one-line error, and
// what it accepts writes back to a line that reads as the same entry.
func FuzzParseDumpLine(f *testing.F) {
	for _, tt := range dumpValues {
		f.Add(`{"cache":"c","key":"k","value":` + tt.line + `}`)
	}
	f.Add(`{"cache":"state/x","value":{"$object":[["$a",{"$table":[[1,2]]}]]},"expires":"2026-01-02T03:04:05Z"}`)
	f.Fuzz(func(t *testing.T, in string) {
		l, err := parseDumpLine(testJSON, []byte(in))
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || len(msg) > 1000 {
				t.Fatalf("bad error text %q", msg)
			}
			return
		}
		if _, err := EncodeKey(l.Key); l.Key != nil && err != nil {
			return // a line may name a key the cache rejects
		}
		if _, err := EncodeValue(l.Value); err != nil {
			return
		}
		line, err := appendDumpLine(nil, testJSON, l)
		if err != nil {
			t.Fatalf("appendDumpLine(%#v): %v", l, err)
		}
		back, err := parseDumpLine(testJSON, line)
		if err != nil {
			t.Fatalf("parseDumpLine(%s): %v", line, err)
		}
		checkSameLine(t, l, back)
	})
}
