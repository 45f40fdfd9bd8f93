package state

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/streamctl/streamctl/value"
)

// Value encoding
//
// Values are the data model of package value: nil, bool, int64, float64,
// string, []byte, []any, value.Object, and map[string]any on input.
// EncodeValue writes them in a small tagged binary format, version byte
// first:
//
//	0x01                      version
//	0x00                      nil (JSON null)
//	0x01 / 0x02               false / true
//	0x03 varint               int64, zig-zag varint
//	0x04 u64le                float64, IEEE bits as is
//	0x05 uvarint len, bytes   string
//	0x06 uvarint len, bytes   []byte
//	0x07 uvarint n, n values  []any (array)
//	0x08 uvarint n, n × (uvarint len, key bytes, value)   value.Object
//	0x09 uvarint n, n × (key value, value)                 value.Table
//	0x0A uvarint len, digits  value.Number: an integer beyond int64, as text
//
// It round-trips every value exactly: floats bit for bit (-0, NaN payloads,
// ±Inf, subnormals), int64 as int64 even above 2^53, strings and []byte as
// themselves (any bytes), arrays and objects as such even when empty, object
// members in their order, integers beyond int64 (value.Number, a long
// integer read from JSON) as their digits. Inputs that normalise on the way in: map[string]any
// is written as an Object with sorted keys (and decodes as that Object);
// int, int8..int32, uint8..uint64 (up to MaxInt64) become int64; float32
// becomes float64; a nil []any, []byte or Object decodes as an empty one.
//
// Null and absent: there is no Null sentinel. nil is JSON null wherever it
// appears, at the top level too; a Cache tells "absent" apart by its ok
// result (Get returns nil, true for a stored null and nil, false for a
// missing key), so no value is ambiguous.
//
// Why not msgpack: msgpack/v5 decodes maps into Go maps (losing member order),
// needs extension types to mark []byte against string and arrays against
// objects anyway, and converts numbers by width. This format is ~150 lines,
// has no dependency, is exact by construction, and the version byte lets it
// evolve (a reader rejects versions it does not know).
const (
	valueVersion = 0x01

	valNull   = 0x00
	valFalse  = 0x01
	valTrue   = 0x02
	valInt    = 0x03
	valFloat  = 0x04
	valString = 0x05
	valBytes  = 0x06
	valArray  = 0x07
	valObject = 0x08
	valTable  = 0x09 // value.Table: count, then key and value per entry
	valNumber = 0x0A // value.Number beyond int64: its digits

	maxValueDepth = 1000
)

// EncodeValue returns the encoding of v (see "Value encoding" above). Values
// outside the data model, cycles and nesting deeper than 1000 give an error
// wrapping ErrBadValue.
func EncodeValue(v any) ([]byte, error) {
	return appendValue([]byte{valueVersion}, v)
}

// appendValue appends the version byte and v's encoding to b.
func appendValue(b []byte, v any) ([]byte, error) {
	return appendVal(b, v, 0)
}

func appendVal(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxValueDepth {
		return nil, errorf(ErrBadValue, "value nests deeper than %d levels (a cycle?)", maxValueDepth)
	}
	var err error
	switch x := v.(type) {
	case nil:
		return append(b, valNull), nil
	case bool:
		if x {
			return append(b, valTrue), nil
		}
		return append(b, valFalse), nil
	case string:
		b = binary.AppendUvarint(append(b, valString), uint64(len(x)))
		return append(b, x...), nil
	case []byte:
		b = binary.AppendUvarint(append(b, valBytes), uint64(len(x)))
		return append(b, x...), nil
	case Encoded:
		if len(x) < 2 || x[0] != valueVersion {
			return nil, errorf(ErrBadValue, "not an encoded value")
		}
		return append(b, x[1:]...), nil
	case []any:
		b = binary.AppendUvarint(append(b, valArray), uint64(len(x)))
		for _, e := range x {
			if b, err = appendVal(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	case value.Object:
		b = binary.AppendUvarint(append(b, valObject), uint64(len(x)))
		for _, m := range x {
			b = binary.AppendUvarint(b, uint64(len(m.Key)))
			b = append(b, m.Key...)
			if b, err = appendVal(b, m.Value, depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	case value.Number:
		if n, ok := x.Int64(); ok {
			return binary.AppendVarint(append(b, valInt), n), nil
		}
		if !value.IsIntLiteral([]byte(x)) {
			return nil, errorf(ErrBadValue, "cannot store the number %.40q: not an integer's digits", string(x))
		}
		b = binary.AppendUvarint(append(b, valNumber), uint64(len(x)))
		return append(b, x...), nil
	case value.Table:
		b = binary.AppendUvarint(append(b, valTable), uint64(len(x)))
		for _, e := range x {
			if b, err = appendVal(b, e.Key, depth+1); err != nil {
				return nil, err
			}
			if b, err = appendVal(b, e.Value, depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = binary.AppendUvarint(append(b, valObject), uint64(len(x)))
		for _, k := range keys {
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			if b, err = appendVal(b, x[k], depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	i, f, isInt, ok := number(v)
	switch {
	case !ok:
		if _, isUint := v.(uint64); isUint {
			return nil, errorf(ErrBadValue, "cannot store %v: integers above %d do not fit", v, int64(math.MaxInt64))
		}
		if _, isUint := v.(uint); isUint {
			return nil, errorf(ErrBadValue, "cannot store %v: integers above %d do not fit", v, int64(math.MaxInt64))
		}
		return nil, errorf(ErrBadValue, "cannot store a value of type %T", v)
	case isInt:
		return binary.AppendVarint(append(b, valInt), i), nil
	default:
		return binary.LittleEndian.AppendUint64(append(b, valFloat), math.Float64bits(f)), nil
	}
}

// DecodeValue decodes an EncodeValue encoding. Bytes that are not one (a
// wrong version, truncation, trailing bytes, lengths past the end) give an
// error wrapping ErrBadValue, never a panic; the work is bounded by len(b).
func DecodeValue(b []byte) (any, error) {
	if len(b) == 0 {
		return nil, badValue("empty")
	}
	if b[0] != valueVersion {
		return nil, badValue(fmt.Sprintf("unknown version %d (written by a newer streamctl?)", b[0]))
	}
	v, n, err := decodeVal(b[1:], 0)
	if err != nil {
		return nil, err
	}
	if n != len(b)-1 {
		return nil, badValue(fmt.Sprintf("%d bytes after the value", len(b)-1-n))
	}
	return v, nil
}

func badValue(what string) error { return errorf(ErrBadValue, "invalid value encoding: %s", what) }

// uvarint reads a length or count that must not exceed max.
func uvarint(b []byte, max int) (int, int, error) {
	u, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, 0, badValue("bad length")
	}
	if u > uint64(max) {
		return 0, 0, badValue("length past the end")
	}
	return int(u), n, nil
}

func decodeVal(b []byte, depth int) (any, int, error) {
	if depth > maxValueDepth {
		return nil, 0, badValue("nested too deep")
	}
	if len(b) == 0 {
		return nil, 0, badValue("truncated")
	}
	switch b[0] {
	case valNull:
		return nil, 1, nil
	case valFalse:
		return false, 1, nil
	case valTrue:
		return true, 1, nil
	case valInt:
		i, n := binary.Varint(b[1:])
		if n <= 0 {
			return nil, 0, badValue("bad integer")
		}
		return i, 1 + n, nil
	case valFloat:
		if len(b) < 9 {
			return nil, 0, badValue("truncated float")
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b[1:9])), 9, nil
	case valString, valBytes, valNumber:
		l, n, err := uvarint(b[1:], len(b)-1)
		if err != nil {
			return nil, 0, err
		}
		p := b[1+n:]
		if l > len(p) {
			return nil, 0, badValue("length past the end")
		}
		switch b[0] {
		case valString:
			return string(p[:l]), 1 + n + l, nil
		case valNumber:
			if _, fits := value.Number(p[:l]).Int64(); fits || !value.IsIntLiteral(p[:l]) {
				return nil, 0, badValue("bad long integer")
			}
			return value.Number(p[:l]), 1 + n + l, nil
		}
		return slices.Clone(p[:l:l]), 1 + n + l, nil
	case valArray:
		cnt, n, err := uvarint(b[1:], len(b)-1) // each element takes a byte at least
		if err != nil {
			return nil, 0, err
		}
		off := 1 + n
		a := make([]any, 0, cnt)
		for range cnt {
			e, m, err := decodeVal(b[off:], depth+1)
			if err != nil {
				return nil, 0, err
			}
			a = append(a, e)
			off += m
		}
		return a, off, nil
	case valObject:
		cnt, n, err := uvarint(b[1:], (len(b)-1)/2) // a member takes two bytes at least
		if err != nil {
			return nil, 0, err
		}
		off := 1 + n
		o := make(value.Object, 0, cnt)
		for range cnt {
			l, m, err := uvarint(b[off:], len(b)-off)
			if err != nil {
				return nil, 0, err
			}
			off += m
			if l > len(b)-off {
				return nil, 0, badValue("length past the end")
			}
			k := string(b[off : off+l])
			off += l
			e, m, err := decodeVal(b[off:], depth+1)
			if err != nil {
				return nil, 0, err
			}
			o = append(o, value.Member{Key: k, Value: e})
			off += m
		}
		return o, off, nil
	case valTable:
		cnt, n, err := uvarint(b[1:], (len(b)-1)/2) // an entry takes two bytes at least
		if err != nil {
			return nil, 0, err
		}
		off := 1 + n
		t := make(value.Table, 0, cnt)
		for range cnt {
			k, m, err := decodeVal(b[off:], depth+1)
			if err != nil {
				return nil, 0, err
			}
			off += m
			e, m, err := decodeVal(b[off:], depth+1)
			if err != nil {
				return nil, 0, err
			}
			off += m
			t = append(t, value.Entry{Key: k, Value: e})
		}
		return t, off, nil
	}
	return nil, 0, badValue(fmt.Sprintf("unknown tag 0x%02x", b[0]))
}

// typeName names a value's type the way a Lua user sees it, for messages:
// "null", "boolean", "number", "string", "table", or the Go type.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string, []byte:
		return "string"
	case []any, value.Object, value.Table, map[string]any:
		return "table"
	}
	if _, _, _, ok := number(v); ok {
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// article returns "a" or "an" for typeName's words.
func article(name string) string {
	if name == "null" {
		return ""
	}
	if r, _ := utf8.DecodeRuneInString(name); strings.ContainsRune("aeiou", r) {
		return "an "
	}
	return "a "
}
