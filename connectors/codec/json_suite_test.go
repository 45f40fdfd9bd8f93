package codec

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/streamctl/streamctl/connectors/codec/jsonsuite"

	"github.com/valyala/fastjson"

	"github.com/streamctl/streamctl/value"
)

// jsonSuiteImplementationDefined is what streamctl does with each i_ file:
// the compact JSON it reads back, or "" for a rejected document. It is
// the table README.md's "JSON input" section describes.
var jsonSuiteImplementationDefined = map[string]string{
	// Numbers beyond float64's range are rejected (RFC 8259 section 9
	// allows the limit); underflow reads as 0; integers of any length keep
	// their digits.
	"i_number_double_huge_neg_exp.json":   `[0]`,
	"i_number_huge_exp.json":              ``,
	"i_number_neg_int_huge_exp.json":      ``,
	"i_number_pos_double_huge_exp.json":   ``,
	"i_number_real_neg_overflow.json":     ``,
	"i_number_real_pos_overflow.json":     ``,
	"i_number_real_underflow.json":        `[0]`,
	"i_number_too_big_neg_int.json":       `[-123123123123123123123123123123]`,
	"i_number_too_big_pos_int.json":       `[100000000000000000000]`,
	"i_number_very_big_negative_int.json": `[-237462374673276894279832749832423479823246327846]`,
	// A lone surrogate escape reads as the three bytes that would encode
	// it (ED A0 80 for \ud800) and is written back as the escape.
	"i_object_key_lone_2nd_surrogate.json":                `{"\udfaa":0}`,
	"i_string_1st_surrogate_but_2nd_missing.json":         `["\udada"]`,
	"i_string_1st_valid_surrogate_2nd_invalid.json":       `["\ud888ሴ"]`,
	"i_string_incomplete_surrogate_and_escape_valid.json": `["\ud800\n"]`,
	"i_string_incomplete_surrogate_pair.json":             `["\udd1ea"]`,
	"i_string_incomplete_surrogates_escape_valid.json":    `["\ud800\ud800\n"]`,
	"i_string_invalid_lonely_surrogate.json":              `["\ud800"]`,
	"i_string_invalid_surrogate.json":                     `["\ud800abc"]`,
	"i_string_inverted_surrogates_U+1D11E.json":           `["\udd1e\ud834"]`,
	"i_string_lone_second_surrogate.json":                 `["\udfaa"]`,
	"i_string_UTF8_surrogate_U+D800.json":                 `["\ud800"]`,
	// Bytes that are not UTF-8 are kept as they are, in and out.
	"i_string_UTF-8_invalid_sequence.json":         "[\"日ш\xfa\"]",
	"i_string_invalid_utf-8.json":                  "[\"\xff\"]",
	"i_string_iso_latin_1.json":                    "[\"\xe9\"]",
	"i_string_lone_utf8_continuation_byte.json":    "[\"\x81\"]",
	"i_string_not_in_unicode_range.json":           "[\"\xf4\xbf\xbf\xbf\"]",
	"i_string_overlong_sequence_2_bytes.json":      "[\"\xc0\xaf\"]",
	"i_string_overlong_sequence_6_bytes.json":      "[\"\xfc\x83\xbf\xbf\xbf\xbf\"]",
	"i_string_overlong_sequence_6_bytes_null.json": "[\"\xfc\x80\x80\x80\x80\x80\"]",
	"i_string_truncated-utf-8.json":                "[\"\xe0\xff\"]",
	// Input is UTF-8 without a byte order mark.
	"i_string_UTF-16LE_with_BOM.json":         ``,
	"i_string_utf16BE_no_BOM.json":            ``,
	"i_string_utf16LE_no_BOM.json":            ``,
	"i_structure_UTF-8_BOM_empty_object.json": ``,
	// Values nest at most 300 levels (fastjson's limit).
	"i_structure_500_nested_arrays.json": ``,
}

// TestJSONTestSuite runs every JSON decoder of the package over the
// suite: n_ files are rejected, y_ files accepted and round-tripped
// (decode, encode, decode gives the same value), i_ files give what
// jsonSuiteImplementationDefined says. The line decoder sees the files
// whose document is one line.
func TestJSONTestSuite(t *testing.T) {
	c := mustLookup(t, "json")
	seenI := 0
	for name, data := range jsonsuite.Files(t) {
		t.Run(name, func(t *testing.T) {
			v, err := c.Unmarshal(data)
			var p fastjson.Parser
			_, perr := ParseJSON(&p, data)
			var s JSONScanner
			serr := s.Scan(data)
			if (err == nil) != (perr == nil) || (err == nil) != (serr == nil) {
				t.Fatalf("Unmarshal: %v, ParseJSON: %v, Scan: %v", err, perr, serr)
			}
			oneLine := !bytes.Contains(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
			if oneLine && isBlank(data) {
				// NDJSON skips a blank line: no record.
				if recs := decodeAll(t, c, string(data)); len(recs) != 0 {
					t.Fatalf("line decoder: %+v from a blank line", recs)
				}
			} else if oneLine {
				recs := decodeAll(t, c, string(data))
				if len(recs) != 1 || (recs[0].err == "") != (err == nil) {
					t.Fatalf("line decoder: %+v; Unmarshal: %v", recs, err)
				}
				if err == nil && !reflect.DeepEqual(recs[0].v, v) {
					t.Fatalf("line decoder reads %#v, Unmarshal %#v", recs[0].v, v)
				}
			}
			switch name[:2] {
			case "n_":
				if err == nil {
					t.Fatalf("accepted %q as %#v", data, v)
				}
				checkErrorText(t, err)
			case "y_":
				if err != nil {
					t.Fatalf("rejected %q: %v", data, err)
				}
				enc := roundTrip(t, c, v)
				if !json.Valid(enc) {
					t.Fatalf("wrote invalid JSON %q", enc)
				}
			case "i_":
				seenI++
				want, ok := jsonSuiteImplementationDefined[name]
				if !ok {
					t.Fatalf("%s is not in jsonSuiteImplementationDefined", name)
				}
				if want == "" {
					if err == nil {
						t.Fatalf("accepted %q as %#v, want it rejected", data, v)
					}
					checkErrorText(t, err)
					return
				}
				if err != nil {
					t.Fatalf("rejected %q: %v", data, err)
				}
				if enc := roundTrip(t, c, v); string(enc) != want {
					t.Fatalf("reads back as %q, want %q", enc, want)
				}
			default:
				t.Fatalf("unexpected file %s", name)
			}
		})
	}
	if seenI != len(jsonSuiteImplementationDefined) {
		t.Fatalf("%d i_ files, %d in the table", seenI, len(jsonSuiteImplementationDefined))
	}
}

// roundTrip encodes v, decodes it again and checks both give the same
// value; it returns the encoding.
func roundTrip(t *testing.T, c Codec, v any) []byte {
	t.Helper()
	enc, err := AppendJSON(nil, v)
	if err != nil {
		t.Fatalf("encode %#v: %v", v, err)
	}
	back, err := c.Unmarshal(enc)
	if err != nil {
		t.Fatalf("decode our own %q: %v", enc, err)
	}
	if !sameJSONValue(back, v) {
		t.Fatalf("round trip: %#v -> %q -> %#v", v, enc, back)
	}
	return enc
}

// sameJSONValue compares decoded values as Lua sees them: int64 and
// float64 by value (1e2 reads as float64 100 and writes as 100, which
// reads as int64 100), everything else exactly.
func sameJSONValue(a, b any) bool {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(float64); ok {
			return float64(x) == y
		}
	case float64:
		if y, ok := b.(int64); ok {
			return x == float64(y)
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSONValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case value.Object:
		y, ok := b.(value.Object)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i].Key != y[i].Key || !sameJSONValue(x[i].Value, y[i].Value) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func checkErrorText(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, "invalid JSON: ") || len(msg) > 250 || strings.ContainsAny(msg, "\r\n") {
		t.Fatalf("bad error text %q", msg)
	}
}

// FuzzJSONValid is the differential test of the strict scanner against
// encoding/json.Valid: every decoder of the package accepts exactly what
// json.Valid accepts, except documents beyond the two limits (values
// nested deeper than JSONMaxDepth, numbers beyond float64's range), which
// are rejected with an error naming the limit. For an accepted object the
// scanner's index gives each top-level member's value.
func FuzzJSONValid(f *testing.F) {
	for _, data := range jsonsuite.Files(f) {
		f.Add(data)
	}
	for _, s := range []string{`{"a":1,"a":[2],"b\u0041":"\ud800x"}`, `[-2.]`, `[1eE2]`, "[\"\t\"]", `"\u12"`, `1e400`, `[1-2]`} {
		f.Add([]byte(s))
	}
	c := mustLookup(f, "json")
	f.Fuzz(func(t *testing.T, data []byte) {
		var s JSONScanner
		err := s.Scan(data)
		var p fastjson.Parser
		_, perr := ParseJSON(&p, data)
		_, uerr := c.Unmarshal(data)
		if (err == nil) != (perr == nil) || (err == nil) != (uerr == nil) {
			t.Fatalf("%q: Scan %v, ParseJSON %v, Unmarshal %v", data, err, perr, uerr)
		}
		valid := json.Valid(data)
		switch {
		case err == nil && !valid:
			t.Fatalf("accepted %q, which encoding/json.Valid rejects", data)
		case err != nil && valid:
			msg := err.Error()
			var v any
			switch {
			case strings.Contains(msg, "nested deeper than") && jsonValueDepth(data) > JSONMaxDepth:
			case strings.Contains(msg, "out of range") && json.Unmarshal(data, &v) != nil:
			default:
				t.Fatalf("rejected %q, which encoding/json.Valid accepts: %v", data, err)
			}
		}
		if err != nil {
			checkErrorText(t, err)
			return
		}
		if !s.Object() {
			return
		}
		var members map[string]json.RawMessage
		if err := json.Unmarshal(data, &members); err != nil {
			return // encoding/json's own limits (it replaces invalid UTF-8 in keys)
		}
		for k, want := range members {
			if strings.ContainsRune(k, utf8.RuneError) {
				continue // encoding/json's replacement for bytes or lone surrogates
			}
			got, ok := s.Field(k)
			if !ok || !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
				t.Fatalf("%q: Field(%q) = %q, %v; want %q", data, k, got, ok, want)
			}
		}
	})
}

// jsonValueDepth returns how deep the values of the valid JSON data nest,
// counted as fastjson does: a top-level scalar is 1, [1] is 2.
func jsonValueDepth(data []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ']' || c == '}':
			depth--
		case c == '"' || c == '-' || c-'0' < 10 || c == 't' || c == 'f' || c == 'n':
			inString = c == '"'
			deepest = max(deepest, depth+1)
		}
	}
	return deepest
}

// TestJSONDepthLimit checks the nesting limit at its edge, the same for
// the scanner and fastjson: 300 levels of values, a scalar counting as one.
func TestJSONDepthLimit(t *testing.T) {
	nest := func(n int, inner string) []byte {
		return []byte(strings.Repeat("[", n) + inner + strings.Repeat("]", n))
	}
	for _, tt := range []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"300 empty arrays", nest(300, ""), true},
		{"301 empty arrays", nest(301, ""), false},
		{"a scalar in 299 arrays", nest(299, "1"), true},
		{"a scalar in 300 arrays", nest(300, "1"), false},
		{"objects", []byte(strings.Repeat(`{"a":`, 299) + "1" + strings.Repeat("}", 299)), true},
		{"objects too deep", []byte(strings.Repeat(`{"a":`, 300) + "1" + strings.Repeat("}", 300)), false},
	} {
		var s JSONScanner
		serr := s.Scan(tt.in)
		_, ferr := new(fastjson.Parser).ParseBytes(tt.in)
		if (serr == nil) != tt.ok || (ferr == nil) != tt.ok {
			t.Errorf("%s: scanner %v, fastjson %v; want ok=%v", tt.name, serr, ferr, tt.ok)
		}
	}
}
