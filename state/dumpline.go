package state

import (
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/streamctl/streamctl/value"
)

// Dump lines
//
// Export writes, and Import reads (`streamctl state dump` and `streamctl
// state load`), one JSON object per line, so that a dump is a lossless
// backup:
//
//	{"cache":"users","key":"u1","value":{"name":"ann","tags":[]}}
//	{"cache":"users","key":["u1",5],"value":2.5,"expires":"2026-12-06T10:00:00.123456789Z"}
//	{"cache":"state/collector","key":null,"value":{"offset":42}}
//
// "expires" is there when the entry has a time to live: its absolute expiry
// time, RFC 3339 in UTC with nanoseconds. A collector's saved state
// ("state/NAME") has a null key.
//
// Keys and values are JSON wherever JSON holds them exactly: null (json.null),
// booleans, integers of any length (as digits), strings that are UTF-8,
// arrays, and objects whose keys are UTF-8. Floats always have a "." or an
// exponent (3.0, -0.0, 1e+21), so they read back as floats and not as
// integers. Everything else is a one-member object whose key starts with
// "$", the escape:
//
//	{"$string":"YQBi/w=="}          a string that is not UTF-8: its bytes, base64
//	{"$bytes":"AAH/"}               a byte string (a Go []byte), base64
//	{"$float":"NaN"}                NaN, "+Inf" or "-Inf"; a NaN other than
//	                                Go's math.NaN() as its bits, "0xfff8000000000000"
//	{"$number":"1000...0"}          an integer beyond float64's range, its digits
//	{"$table":[[1,"a"],[true,2]]}   a table whose keys are not all strings, [key, value] pairs
//	{"$object":[["$ref","x"]]}      an object that would read as an escape (one
//	                                member, its key starting with "$"), has a
//	                                key that is not UTF-8 or a key twice (JSON
//	                                readers keep one), [key, value] pairs
//
// Base64 is the standard alphabet with padding (RFC 4648 section 4, what
// jq's @base64d reads). On reading, a one-member object whose key starts
// with "$" and is not one of these is an error, never silently an object.
//
// State decides what each line holds, escapes included, as a tree of plain
// values; the JSON text of that tree is written and read by the caller's
// Format (see dump.go), so that state holds no JSON codec of its own.
const (
	escString = "$string"
	escBytes  = "$bytes"
	escFloat  = "$float"
	escNumber = "$number"
	escTable  = "$table"
	escObject = "$object"
)

// DumpLine is one line of a dump: an entry of a cache, or the value saved
// under "state/NAME" (Key nil).
type DumpLine struct {
	Cache      string
	Key, Value any
	// Expires is the entry's expiry time; zero when it has none.
	Expires time.Time
}

// appendDumpLine appends l as one dump line, without a newline, to dst: f
// writes the JSON (see Format) of the value tree dumpValue makes of the
// key and the value. The line is valid UTF-8 JSON. Keys and values outside
// the value model (see EncodeValue) are an error wrapping ErrBadValue.
func appendDumpLine(dst []byte, f Format, l DumpLine) ([]byte, error) {
	key, err := dumpValue(l.Key, 0)
	if err != nil {
		return dst, fmt.Errorf("key: %w", err)
	}
	val, err := dumpValue(l.Value, 0)
	if err != nil {
		return dst, fmt.Errorf("value at %s: %w", FormatKey(l.Key), err)
	}
	line := value.Object{{Key: "cache", Value: l.Cache}, {Key: "key", Value: key}, {Key: "value", Value: val}}
	if !l.Expires.IsZero() {
		line = append(line, value.Member{Key: "expires", Value: l.Expires.UTC().Format(time.RFC3339Nano)})
	}
	return f.Marshal(dst, line)
}

// dumpValue returns v as the value tree of its dump line: nil, bool,
// int64, value.Number (integers as their digits, floats as their exact
// JSON text), strings that are UTF-8, []any and value.Object of those, with
// everything else written as an escape.
func dumpValue(v any, depth int) (any, error) {
	if depth > maxValueDepth {
		return nil, errorf(ErrBadValue, "value nests deeper than %d levels (a cycle?)", maxValueDepth)
	}
	switch x := v.(type) {
	case nil, bool:
		return x, nil
	case string:
		if utf8.ValidString(x) {
			return x, nil
		}
		return escape(escString, base64.StdEncoding.EncodeToString([]byte(x))), nil
	case []byte:
		return escape(escBytes, base64.StdEncoding.EncodeToString(x)), nil
	case value.Number:
		if n, ok := x.Int64(); ok {
			return n, nil
		}
		if !integerDigits(string(x)) {
			return nil, errorf(ErrBadValue, "the number %.40q is not an integer's digits", string(x))
		}
		if _, err := strconv.ParseFloat(string(x), 64); err != nil {
			return escape(escNumber, string(x)), nil // beyond float64: JSON readers reject it
		}
		return x, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = dumpValue(e, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	case value.Object:
		return dumpObject(x, depth)
	case map[string]any:
		o := make(value.Object, 0, len(x))
		for _, k := range slices.Sorted(mapKeys(x)) {
			o = append(o, value.Member{Key: k, Value: x[k]})
		}
		return dumpObject(o, depth)
	case value.Table:
		pairs := make([]any, len(x))
		for i, e := range x {
			k, err := dumpValue(e.Key, depth+1)
			if err != nil {
				return nil, err
			}
			val, err := dumpValue(e.Value, depth+1)
			if err != nil {
				return nil, err
			}
			pairs[i] = []any{k, val}
		}
		return value.Object{{Key: escTable, Value: pairs}}, nil
	}
	i, f, isInt, ok := number(v)
	switch {
	case !ok:
		return nil, errorf(ErrBadValue, "cannot dump a value of type %T", v)
	case isInt:
		return i, nil
	case math.IsNaN(f):
		if math.Float64bits(f) == math.Float64bits(math.NaN()) {
			return escape(escFloat, "NaN"), nil
		}
		return escape(escFloat, fmt.Sprintf("0x%016x", math.Float64bits(f))), nil
	case math.IsInf(f, 1):
		return escape(escFloat, "+Inf"), nil
	case math.IsInf(f, -1):
		return escape(escFloat, "-Inf"), nil
	}
	text := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(text, ".e") {
		text += ".0" // 3 would read back as an integer
	}
	return value.Number(text), nil
}

// dumpObject returns o as a JSON object, or as the $object escape when a
// plain object would not read back as o.
func dumpObject(o value.Object, depth int) (any, error) {
	esc := len(o) == 1 && strings.HasPrefix(o[0].Key, "$")
	for i, m := range o {
		esc = esc || !utf8.ValidString(m.Key) ||
			slices.ContainsFunc(o[:i], func(p value.Member) bool { return p.Key == m.Key })
		if esc {
			break
		}
	}
	if esc {
		pairs := make([]any, len(o))
		for i, m := range o {
			k, _ := dumpValue(m.Key, depth+1) // a string cannot fail
			val, err := dumpValue(m.Value, depth+1)
			if err != nil {
				return nil, err
			}
			pairs[i] = []any{k, val}
		}
		return value.Object{{Key: escObject, Value: pairs}}, nil
	}
	out := make(value.Object, len(o))
	for i, m := range o {
		val, err := dumpValue(m.Value, depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = value.Member{Key: m.Key, Value: val}
	}
	return out, nil
}

// escape returns the one-member object {tag: text}.
func escape(tag, text string) value.Object { return value.Object{{Key: tag, Value: text}} }

// integerDigits reports whether s is an integer as JSON writes one:
// -?(0|[1-9][0-9]*).
func integerDigits(s string) bool {
	s = strings.TrimPrefix(s, "-")
	return value.IsIntLiteral([]byte(s)) && s[0] != '-' && (s[0] != '0' || len(s) == 1)
}

func mapKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// parseDumpLine reads one line appendDumpLine wrote (see "Dump lines"),
// decoded by f, undoing the escapes. Errors are one line: invalid JSON (f's
// error), a line of another shape (errRecordShape), an unknown field, a bad
// escape or expiry. A key that is not a key (an object, null for a cache)
// is left for the cache to reject.
func parseDumpLine(f Format, line []byte) (DumpLine, error) {
	v, err := f.Unmarshal(line)
	if err != nil {
		return DumpLine{}, err
	}
	obj, ok := v.(value.Object)
	if !ok {
		return DumpLine{}, errRecordShape
	}
	var l DumpLine
	var hasCache, hasKey, hasValue bool
	for _, m := range obj {
		switch m.Key {
		case "cache":
			l.Cache, hasCache = m.Value.(string)
		case "key":
			hasKey = true
			if l.Key, err = undumpValue(m.Value, 0); err != nil {
				return DumpLine{}, fmt.Errorf("key: %w", err)
			}
		case "value":
			hasValue = true
			if l.Value, err = undumpValue(m.Value, 0); err != nil {
				return DumpLine{}, fmt.Errorf("value: %w", err)
			}
		case "expires":
			s, ok := m.Value.(string)
			if !ok {
				return DumpLine{}, fmt.Errorf("expires must be an RFC 3339 time string, got %s", argText(m.Value))
			}
			if l.Expires, err = time.Parse(time.RFC3339Nano, s); err != nil {
				return DumpLine{}, fmt.Errorf("expires: %w", err)
			}
		default:
			return DumpLine{}, fmt.Errorf("unknown field %.40q (%w)", m.Key, errRecordShape)
		}
	}
	isState := strings.HasPrefix(l.Cache, statePrefix)
	if !hasCache || !hasValue || (!hasKey && !isState) {
		return DumpLine{}, errRecordShape
	}
	return l, nil
}

// undumpValue undoes the escapes of a decoded dump value.
func undumpValue(v any, depth int) (any, error) {
	if depth > maxValueDepth {
		return nil, fmt.Errorf("nested deeper than %d levels", maxValueDepth)
	}
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = undumpValue(e, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	case value.Object:
		if len(x) == 1 && strings.HasPrefix(x[0].Key, "$") {
			return undumpEscape(x[0].Key, x[0].Value, depth)
		}
		out := make(value.Object, len(x))
		for i, m := range x {
			e, err := undumpValue(m.Value, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = value.Member{Key: m.Key, Value: e}
		}
		return out, nil
	}
	return v, nil
}

func undumpEscape(tag string, arg any, depth int) (any, error) {
	text, isText := arg.(string)
	switch tag {
	case escString, escBytes:
		if !isText {
			break
		}
		b, err := base64.StdEncoding.Strict().DecodeString(text)
		if err != nil {
			return nil, fmt.Errorf("%s: invalid base64: %w", tag, err)
		}
		if tag == escString {
			return string(b), nil
		}
		return b, nil
	case escFloat:
		if !isText {
			break
		}
		switch text {
		case "NaN":
			return math.NaN(), nil
		case "+Inf", "Inf":
			return math.Inf(1), nil
		case "-Inf":
			return math.Inf(-1), nil
		}
		if hex, ok := strings.CutPrefix(text, "0x"); ok && len(hex) == 16 {
			if u, err := strconv.ParseUint(hex, 16, 64); err == nil {
				return math.Float64frombits(u), nil
			}
		}
		return nil, fmt.Errorf(`$float must be "NaN", "+Inf", "-Inf" or 0x and 16 hex digits, got %.40q`, text)
	case escNumber:
		if !isText || !integerDigits(text) {
			return nil, fmt.Errorf("$number must be a string of digits, got %.40s", argText(arg))
		}
		if n, ok := value.Number(text).Int64(); ok {
			return n, nil
		}
		return value.Number(text), nil
	case escTable, escObject:
		pairs, ok := arg.([]any)
		if !ok {
			break
		}
		t := make(value.Table, 0, len(pairs))
		for _, p := range pairs {
			kv, ok := p.([]any)
			if !ok || len(kv) != 2 {
				return nil, fmt.Errorf("%s must be a list of [key, value] pairs", tag)
			}
			k, err := undumpValue(kv[0], depth+1)
			if err != nil {
				return nil, err
			}
			e, err := undumpValue(kv[1], depth+1)
			if err != nil {
				return nil, err
			}
			t = append(t, value.Entry{Key: k, Value: e})
		}
		if tag == escTable {
			return t, nil
		}
		o := make(value.Object, len(t))
		for i, e := range t {
			k, ok := e.Key.(string)
			if !ok {
				return nil, fmt.Errorf("$object keys must be strings, got %s", typeName(e.Key))
			}
			o[i] = value.Member{Key: k, Value: e.Value}
		}
		return o, nil
	default:
		return nil, fmt.Errorf(`unknown escape %.40q: a one-member object whose key starts with "$" is an escape `+
			`($string, $bytes, $float, $number, $table, $object); write such an object as {"$object": [[%.40q, VALUE]]}`, tag, tag)
	}
	return nil, fmt.Errorf("%s: bad argument %.40s", tag, argText(arg))
}

// argText is v for an error message: a string as it is, a number or a
// boolean as JSON writes it, anything else its type.
func argText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case value.Number:
		return string(x)
	}
	if i, f, isInt, ok := number(v); ok {
		if isInt {
			return strconv.FormatInt(i, 10)
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return typeName(v)
}
