package codec

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/streamctl/streamctl/value"
)

func TestJSONDecode(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     []rec
	}{
		{"object order", `{"b":1,"a":"x","c":null}`, []rec{{
			v: value.Object{{Key: "b", Value: int64(1)}, {Key: "a", Value: "x"}, {Key: "c", Value: nil}}, raw: `{"b":1,"a":"x","c":null}`, pos: 1}}},
		{"types", `[true,false,null,-0,1.5,1e2,"\u00e9\n",[],{}]`, []rec{{
			v: []any{true, false, nil, int64(0), 1.5, 100.0, "é\n", []any{}, value.Object{}}, raw: `[true,false,null,-0,1.5,1e2,"\u00e9\n",[],{}]`, pos: 1}}},
		{"int64 limits", `[9223372036854775807,-9223372036854775808,9223372036854775808,-9223372036854775809,18446744073709551616]`, []rec{{
			v:   []any{int64(math.MaxInt64), int64(math.MinInt64), value.Number("9223372036854775808"), value.Number("-9223372036854775809"), value.Number("18446744073709551616")},
			raw: `[9223372036854775807,-9223372036854775808,9223372036854775808,-9223372036854775809,18446744073709551616]`, pos: 1}}},
		{"long integers keep their text, other numbers are floats", `[12345678901234567890123,1.5e3,9007199254740993]`, []rec{{
			v:   []any{value.Number("12345678901234567890123"), 1500.0, int64(9007199254740993)},
			raw: `[12345678901234567890123,1.5e3,9007199254740993]`, pos: 1}}},
		{"blank lines counted", "\n  \n\t\r\n1\n\n2", []rec{{v: int64(1), raw: "1", pos: 4}, {v: int64(2), raw: "2", pos: 6}}},
		{"crlf and spaces", " {\"a\" : [ 1 , 2 ] } \r\n", []rec{{v: value.Object{{Key: "a", Value: []any{int64(1), int64(2)}}}, raw: " {\"a\" : [ 1 , 2 ] } \r", pos: 1}}},
		{"duplicate keys", `{"a":1,"b":2,"a":3}`, []rec{{v: value.Object{{Key: "a", Value: int64(3)}, {Key: "b", Value: int64(2)}}, raw: `{"a":1,"b":2,"a":3}`, pos: 1}}},
		{"escaped keys", `{"a\"b":1,"\u0041":2}`, []rec{{v: value.Object{{Key: `a"b`, Value: int64(1)}, {Key: "A", Value: int64(2)}}, raw: `{"a\"b":1,"\u0041":2}`, pos: 1}}},
		{"surrogate pair", `"\ud83d\ude00"`, []rec{{v: "😀", raw: `"\ud83d\ude00"`, pos: 1}}},
		{"error then record", "{\"a\":x}\n{}\n", []rec{
			{raw: `{"a":x}`, pos: 1, err: `invalid JSON: expected a value, got "x" (column 6)`},
			{v: value.Object{}, raw: "{}", pos: 2}}},
		{"trailing garbage", `{} x`, []rec{{raw: `{} x`, pos: 1, err: `invalid JSON: expected the end of the document, got "x" (column 4)`}}},
		{"two documents", `1 2`, []rec{{raw: `1 2`, pos: 1, err: `invalid JSON: expected the end of the document, got "2" (column 3)`}}},
		{"control character before an escape", "[\"\\\\\", \"\x00\\\\b\"]", []rec{{raw: "[\"\\\\\", \"\x00\\\\b\"]", pos: 1, err: `invalid JSON: string cannot contain control char 0x00 (column 9)`}}},
		{"NaN", `NaN`, []rec{{raw: `NaN`, pos: 1, err: `invalid JSON: expected a value, got "NaN" (column 1)`}}},
		{"leading zero", `01`, []rec{{raw: `01`, pos: 1, err: `invalid JSON: invalid number "01" (column 1)`}}},
		{"bad escape", `"\x"`, []rec{{raw: `"\x"`, pos: 1, err: `invalid JSON: invalid escape in a string: \x (valid: \" \\ \/ \b \f \n \r \t \uXXXX) (column 2)`}}},
		{"control char", "\"a\tb\"", []rec{{raw: "\"a\tb\"", pos: 1, err: `invalid JSON: string cannot contain control char 0x09 (column 3)`}}},
		{"out of range", `[1e400]`, []rec{{raw: `[1e400]`, pos: 1, err: `invalid JSON: number 1e400 out of range (column 2)`}}},
		{"unclosed", `{"a":1`, []rec{{raw: `{"a":1`, pos: 1, err: `invalid JSON: expected ',' or '}' after an object member, got the end of the document (column 7)`}}},
		{"too deep", strings.Repeat("[", 301) + strings.Repeat("]", 301), []rec{{raw: strings.Repeat("[", 301) + strings.Repeat("]", 301), pos: 1,
			err: `invalid JSON: nested deeper than 300 levels (column 301)`}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeAll(t, mustLookup(t, "json"), tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestJSONErrorDetailIsShort(t *testing.T) {
	long := strings.Repeat("y", 10000)
	for _, in := range []string{
		`{"a":t` + long + `}`,
		`"\u12` + long,
		"[\"\\\x01" + long,
		`[1,` + long + `]`,
		`{"` + long,
	} {
		_, err := mustLookup(t, "json").Unmarshal([]byte(in))
		if err == nil {
			t.Fatalf("%.20q: no error", in)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "invalid JSON: ") || len(msg) > 230 || strings.ContainsAny(msg, "\n\r\x01") || !utf8.ValidString(msg) {
			t.Fatalf("bad message (%d bytes): %q", len(msg), msg)
		}
	}
}

func TestJSONUnmarshal(t *testing.T) {
	c := mustLookup(t, "json")
	for _, tt := range []struct {
		name, in string
		want     any
		err      string
	}{
		{"object", " {\"a\": [1, 2.5]}\n\n", value.Object{{Key: "a", Value: []any{int64(1), 2.5}}}, ""},
		{"string", `"x"`, "x", ""},
		{"null", `null`, nil, ""},
		{"empty", ``, nil, `invalid JSON: empty document`},
		{"multi-line", "{\n\"a\":1\n}", value.Object{{Key: "a", Value: int64(1)}}, ""},
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
				t.Fatalf("got %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
}

func TestAppendJSON(t *testing.T) {
	cyclic := []any{nil}
	cyclic[0] = cyclic
	for _, tt := range []struct {
		name string
		in   any
		want string
		err  string
	}{
		{"object order", value.Object{{Key: "z", Value: int64(1)}, {Key: "a", Value: true}}, `{"z":1,"a":true}`, ""},
		{"map sorted", map[string]any{"b": nil, "a": 1, "c": map[string]any{}}, `{"a":1,"b":null,"c":{}}`, ""},
		{"empty array", []any{}, `[]`, ""},
		{"bytes", []byte("a\"b"), `"a\"b"`, ""},
		{"integral float", 3.0, `3`, ""},
		{"neg float", -2.5, `-2.5`, ""},
		{"huge float", 1e21, `1e+21`, ""},
		{"2^63", 9223372036854775808.0, `9223372036854776000`, ""},
		{"tiny", 5e-324, `5e-324`, ""},
		{"float32", float32(1.1), `1.1`, ""},
		{"uint64", uint64(math.MaxUint64), `18446744073709551615`, ""},
		{"int8", int8(-3), `-3`, ""},
		{"nan", math.NaN(), "", "cannot encode NaN as JSON"},
		{"inf", math.Inf(1), "", "cannot encode +Inf as JSON"},
		{"-inf float32", float32(math.Inf(-1)), "", "cannot encode -Inf as JSON"},
		{"nested nan", value.Object{{Key: "a", Value: []any{math.NaN()}}}, "", "cannot encode NaN as JSON"},
		{"unsupported", map[string]int{}, "", "cannot encode map[string]int as JSON"},
		{"cycle", cyclic, "", "cannot encode JSON nested deeper than 1000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendJSON(nil, tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %s, %v; want %s", got, err, tt.want)
			}
			if !json.Valid(got) {
				t.Fatalf("%s is not valid JSON", got)
			}
		})
	}
}

func TestAppendString(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"plain", "abc", `"abc"`},
		{"html kept", "<a&b>", `"<a&b>"`},
		{"escapes", "\"\\\n\r\t\b\f", `"\"\\\n\r\t\b\f"`},
		{"control", "\x00\x1f\x7f", `"\u0000\u001f` + "\x7f" + `"`},
		{"utf8", "é😀\u2028", "\"é😀\u2028\""},
		{"invalid utf8 kept", "a\xffb\xc3", "\"a\xffb\xc3\""},
		{"nul", "a\x00b", `"a\u0000b"`},
		{"surrogate bytes escaped", "\xed\xa0\x80x\xed\xbf\xbf", `"\ud800x\udfff"`},
		{"surrogate pair bytes kept", "\xed\xa0\x80\xed\xb0\x80", "\"\xed\xa0\x80\xed\xb0\x80\""},
		{"low then high escaped", "\xed\xb0\x80\xed\xa0\x80", `"\udc00\ud800"`},
		{"truncated surrogate bytes kept", "\xed\xa0", "\"\xed\xa0\""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := string(AppendString([]byte("x"), tt.in))
			if got != "x"+tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			back, err := mustLookup(t, "json").Unmarshal([]byte(got[1:]))
			if err != nil || back != tt.in {
				t.Fatalf("reads back as %q, %v; want %q", back, err, tt.in)
			}
			var s string
			if err := json.Unmarshal([]byte(got[1:]), &s); err != nil {
				t.Fatal(err)
			}
			if utf8.ValidString(tt.in) && s != tt.in {
				t.Fatalf("encoding/json reads %q, want %q", s, tt.in)
			}
		})
	}
}

func TestAppendNumber(t *testing.T) {
	for _, tt := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {-1, "-1"}, {0.1, "0.1"}, {1e20, "100000000000000000000"}, {-9223372036854774784, "-9223372036854774784"},
		{-9223372036854775808, "-9223372036854776000"}, {1e300, "1e+300"}, {123.456, "123.456"},
	} {
		got, err := AppendNumber(nil, tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("AppendNumber(%v) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestJSONEncoder(t *testing.T) {
	c := mustLookup(t, "json")
	got, err := encodeAll(t, c, value.Object{{Key: "a", Value: int64(1)}}, "s", nil)
	if err != nil || got != "{\"a\":1}\n\"s\"\nnull\n" {
		t.Fatalf("got %q, %v", got, err)
	}
	var b strings.Builder
	e := c.NewEncoder(&b)
	if err := e.Encode(1.0); err != nil {
		t.Fatal(err)
	}
	if err := e.Encode([]any{1, math.NaN()}); err == nil || err.Error() != "cannot encode NaN as JSON" {
		t.Fatalf("err = %v", err)
	}
	if err := e.Encode(2); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil || b.String() != "1\n2\n" {
		t.Fatalf("after a failed record: %q, %v", b.String(), err)
	}
	msg, err := c.Marshal([]byte("k:"), map[string]any{"x": "y"})
	if err != nil || string(msg) != `k:{"x":"y"}` {
		t.Fatalf("Marshal: %s, %v", msg, err)
	}
}

func FuzzJSON(f *testing.F) {
	for _, s := range []string{
		`{"ts":"2024-01-01T00:00:00Z","user":"u123","status":200,"path":"/a/b","bytes":5120}`,
		`[1,2.5,-0,1e400,"\u00e9\ud800",null,true,{"a":{"b":[]}}]`,
		"{\"a\":1,\"a\":2}\n\n  \n[]\r\n",
		`"\x" 01 NaN -Infinity`,
		`18446744073709551616 -9223372036854775809 1.0 1e-400`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c := mustLookup(t, "json")
		for _, r := range decodeAll(t, c, in) {
			if r.err != "" {
				if !strings.HasPrefix(r.err, "invalid JSON: ") || len(r.err) > 300 || strings.ContainsAny(r.err, "\r\n") {
					t.Fatalf("bad error text %q", r.err)
				}
				continue
			}
			if !json.Valid([]byte(r.raw)) {
				t.Fatalf("accepted invalid JSON %q", r.raw)
			}
			enc, err := AppendJSON(nil, r.v)
			if err != nil {
				t.Fatalf("encode %#v: %v", r.v, err)
			}
			if !json.Valid(enc) {
				t.Fatalf("encoded invalid JSON %q", enc)
			}
			back, err := c.Unmarshal(enc)
			if err != nil {
				t.Fatalf("decode %s: %v", enc, err)
			}
			enc2, err := AppendJSON(nil, back)
			if err != nil || string(enc2) != string(enc) {
				t.Fatalf("not a fixpoint: %s -> %s (%v)", enc, enc2, err)
			}
			checkSameJSON(t, r.raw, enc)
		}
	})
}

// checkSameJSON compares what encoding/json reads from the input and from our
// re-encoding (with numbers compared as float64).
func checkSameJSON(t *testing.T, in string, enc []byte) {
	t.Helper()
	var a, b any
	if json.Unmarshal([]byte(in), &a) != nil || json.Unmarshal(enc, &b) != nil {
		return
	}
	// encoding/json replaces invalid UTF-8 on input: compare only valid input.
	if !utf8.ValidString(in) || strings.Contains(in, `\ud`) || strings.Contains(in, `\uD`) {
		return
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("encoding/json reads %v from the input, %v from %s", a, b, enc)
	}
}

const benchLine = `{"ts":"2024-01-01T00:00:00Z","user":"u%d","status":%d,"path":"/a/b","bytes":%d}`

func benchInput() string {
	var b strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&b, benchLine+"\n", i%500, 200+100*(i%4), 5120+i)
	}
	return b.String()
}

func BenchmarkJSONDecode(b *testing.B) {
	in := benchInput()
	c := mustLookup(b, "json")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		d := c.NewDecoder(strings.NewReader(in))
		n := 0
		for {
			_, _, _, err := d.Decode()
			if err != nil {
				break
			}
			n++
		}
		if n != 1000 {
			b.Fatalf("%d records", n)
		}
	}
}

func BenchmarkJSONEncode(b *testing.B) {
	in := benchInput()
	c := mustLookup(b, "json")
	var recs []any
	for _, r := range decodeAll(b, c, in) {
		recs = append(recs, r.v)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	e := c.NewEncoder(discard{})
	for b.Loop() {
		for _, v := range recs {
			if err := e.Encode(v); err != nil {
				b.Fatal(err)
			}
		}
		if err := e.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
