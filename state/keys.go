package state

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"

	"github.com/streamctl/streamctl/value"
)

// Key encoding
//
// Cache keys are strings, numbers, booleans and tuples ([]any) of those.
// EncodeKey maps them to bytes whose byte-wise order (goleveldb's default
// comparer) is the key order:
//
//  1. By type: false < true < numbers < strings < tuples.
//  2. Numbers numerically, int64 and float64 alike (-1.5 < -1 < -0 == 0 <
//     0.5 < 1 < 2^53+1 < 1e300 < +Inf), exactly over the whole int64 range.
//     NaN is not a key.
//  3. Strings byte-wise (any bytes, 0x00 included); a prefix sorts first.
//  4. Tuples element by element; a tuple sorts before the longer tuples it is
//     a prefix of ({"u1"} < {"u1", 0} < {"u1", 5} < {"u2"}).
//
// Layout: one tag byte per value, then
//
//	false 0x02, true 0x03                       (no payload)
//	number 0x10 F[8] [R[2]]
//	string 0x20 bytes with 0x00 as 0x00 0xFF, then 0x00 0x01
//	tuple  0x30 elements..., then 0x00
//
// For a number x, F is the largest float64 f <= x, stored big-endian with the
// sign bit flipped (and all bits inverted when negative) so that it sorts as
// the number. R is present only when 2^53 <= |f| < 2^63, where floats are
// integers spaced 2..1024 apart: it holds x - f (big-endian uint16), so every
// int64 keeps its exact value and sorts between its neighbouring floats. Zero
// is stored as +0. The string terminator 0x00 0x01 sorts before an escaped
// 0x00 (0x00 0xFF) and before any other byte; the tuple end 0x00 sorts before
// every tag. Tags leave gaps for later types.
//
// Decoding gives string, bool, []any, and for numbers int64 when the value is
// integral and in the int64 range, else float64: 3.0 comes back as int64(3),
// 0.5 as 0.5. []byte keys encode as strings and come back as strings.
const (
	tagFalse  = 0x02
	tagTrue   = 0x03
	tagNumber = 0x10
	tagString = 0x20
	tagTuple  = 0x30
	tupleEnd  = 0x00

	maxKeyDepth = 32
)

const (
	two53 = 1 << 53
	two63 = 1 << 63 // as a float64 constant: exactly 2^63
)

// EncodeKey returns the order-preserving encoding of k (see "Key encoding"
// above). It accepts string, []byte, bool, int, int8..int64, uint8..uint64
// (up to MaxInt64), float32, float64 and []any of those (tuples, nested up to
// 32 levels). Other types and NaN give an error wrapping ErrBadKey.
func EncodeKey(k any) ([]byte, error) {
	return appendKey(make([]byte, 0, 16), k, 0)
}

// PrefixKey returns the encoded prefix shared by all keys that start with p:
// for a string, every string key beginning with p; for a tuple, every tuple
// whose first len(p) elements equal p's (element-wise, not a string prefix of
// the last element); for a number or boolean, that key alone. Use it with
// util.BytesPrefix, or through RangeOptions.Prefix.
func PrefixKey(p any) ([]byte, error) {
	switch x := p.(type) {
	case string:
		return appendEscaped([]byte{tagString}, x), nil
	case []byte:
		return appendEscaped([]byte{tagString}, string(x)), nil
	case []any:
		b := []byte{tagTuple}
		for _, e := range x {
			var err error
			if b, err = appendKey(b, e, 1); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	return EncodeKey(p)
}

func appendKey(b []byte, k any, depth int) ([]byte, error) {
	switch x := k.(type) {
	case string:
		return append(appendEscaped(append(b, tagString), x), 0x00, 0x01), nil
	case []byte:
		return append(appendEscaped(append(b, tagString), string(x)), 0x00, 0x01), nil
	case bool:
		if x {
			return append(b, tagTrue), nil
		}
		return append(b, tagFalse), nil
	case []any:
		if depth >= maxKeyDepth {
			return nil, errorf(ErrBadKey, "key tuples nest deeper than %d levels", maxKeyDepth)
		}
		b = append(b, tagTuple)
		for _, e := range x {
			var err error
			if b, err = appendKey(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, tupleEnd), nil
	}
	i, f, isInt, ok := number(k)
	if !ok {
		return nil, errorf(ErrBadKey, "a key must be a string, number, boolean or list of those, got %s", typeName(k))
	}
	if !isInt && math.IsNaN(f) {
		return nil, errorf(ErrBadKey, "NaN cannot be a key")
	}
	return appendNumber(b, i, f, isInt), nil
}

// number converts Go numeric types to int64 or float64. ok is false for
// non-numbers and for uint64 values above MaxInt64.
func number(v any) (i int64, f float64, isInt, ok bool) {
	switch x := v.(type) {
	case int64:
		return x, 0, true, true
	case int:
		return int64(x), 0, true, true
	case float64:
		return 0, x, false, true
	case int32:
		return int64(x), 0, true, true
	case int16:
		return int64(x), 0, true, true
	case int8:
		return int64(x), 0, true, true
	case uint8:
		return int64(x), 0, true, true
	case uint16:
		return int64(x), 0, true, true
	case uint32:
		return int64(x), 0, true, true
	case uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x), 0, true, true
		}
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), 0, true, true
		}
	case float32:
		return 0, float64(x), false, true
	case value.Number: // a long integer's digits (from JSON or msgpack)
		if n, ok := x.Int64(); ok {
			return n, 0, true, true
		}
		return 0, x.Float64(), false, true
	}
	return 0, 0, false, false
}

func appendEscaped(b []byte, s string) []byte {
	for {
		j := strings.IndexByte(s, 0)
		if j < 0 {
			return append(b, s...)
		}
		b = append(append(b, s[:j]...), 0x00, 0xFF)
		s = s[j+1:]
	}
}

// hasRemainder reports whether a floor float carries the 2-byte remainder.
func hasRemainder(f float64) bool {
	return math.Abs(f) >= two53 && f >= -two63 && f < two63
}

func appendNumber(b []byte, i int64, f float64, isInt bool) []byte {
	var rem uint16
	if isInt {
		f = float64(i) // rounds to nearest; make it the floor
		if f >= two63 || int64(f) > i {
			f = math.Nextafter(f, math.Inf(-1))
		}
		rem = uint16(i - int64(f))
	} else if f == 0 {
		f = 0 // -0 == 0
	}
	bits := math.Float64bits(f)
	if bits>>63 == 1 {
		bits = ^bits
	} else {
		bits |= 1 << 63
	}
	b = append(b, tagNumber)
	b = binary.BigEndian.AppendUint64(b, bits)
	if hasRemainder(f) {
		b = binary.BigEndian.AppendUint16(b, rem)
	}
	return b
}

// DecodeKey decodes an EncodeKey encoding. Numbers come back as int64 when
// integral and within the int64 range, else float64; strings as string;
// tuples as []any. Any other input gives an error wrapping ErrBadKey, never a
// panic.
func DecodeKey(b []byte) (any, error) {
	k, n, err := decodeKey(b, 0)
	if err != nil {
		return nil, err
	}
	if n != len(b) {
		return nil, errorf(ErrBadKey, "invalid key encoding: %d bytes after the key", len(b)-n)
	}
	return k, nil
}

func badKey(what string) error { return errorf(ErrBadKey, "invalid key encoding: %s", what) }

func decodeKey(b []byte, depth int) (any, int, error) {
	if len(b) == 0 {
		return nil, 0, badKey("truncated")
	}
	switch b[0] {
	case tagFalse:
		return false, 1, nil
	case tagTrue:
		return true, 1, nil
	case tagNumber:
		if len(b) < 9 {
			return nil, 0, badKey("truncated number")
		}
		bits := binary.BigEndian.Uint64(b[1:9])
		if bits>>63 == 1 {
			bits &^= 1 << 63
		} else {
			bits = ^bits
		}
		f := math.Float64frombits(bits)
		if math.IsNaN(f) || (f == 0 && math.Signbit(f)) {
			return nil, 0, badKey("non-canonical number")
		}
		if hasRemainder(f) {
			if len(b) < 11 {
				return nil, 0, badKey("truncated number")
			}
			rem := binary.BigEndian.Uint16(b[9:11])
			if float64(rem) >= math.Nextafter(f, math.Inf(1))-f {
				return nil, 0, badKey("non-canonical number")
			}
			return int64(f) + int64(rem), 11, nil
		}
		if f == math.Trunc(f) && f >= -two63 && f < two63 {
			return int64(f), 9, nil
		}
		return f, 9, nil
	case tagString:
		var sb []byte
		for i := 1; i < len(b); i++ {
			if b[i] != 0 {
				continue
			}
			if i+1 >= len(b) {
				break
			}
			switch b[i+1] {
			case 0x01:
				if sb == nil {
					return string(b[1:i]), i + 2, nil
				}
				return unescape(b[1:i]), i + 2, nil
			case 0xFF:
				sb = b // escaped; unescape at the end
				i++
			default:
				return nil, 0, badKey("bad string escape")
			}
		}
		return nil, 0, badKey("unterminated string")
	case tagTuple:
		if depth >= maxKeyDepth {
			return nil, 0, badKey("tuples nest too deep")
		}
		t := []any{}
		n := 1
		for {
			if n >= len(b) {
				return nil, 0, badKey("unterminated tuple")
			}
			if b[n] == tupleEnd {
				return t, n + 1, nil
			}
			e, m, err := decodeKey(b[n:], depth+1)
			if err != nil {
				return nil, 0, err
			}
			t = append(t, e)
			n += m
		}
	}
	return nil, 0, badKey("unknown tag 0x" + strconv.FormatUint(uint64(b[0]), 16))
}

// unescape turns 0x00 0xFF back into 0x00; b is already validated.
func unescape(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		out = append(out, b[i])
		if b[i] == 0 {
			i++
		}
	}
	return string(out)
}

// FormatKey writes a key the way error messages show it: strings quoted,
// numbers as Lua prints them, tuples as {"u1", 5}.
func FormatKey(k any) string {
	var sb strings.Builder
	formatKey(&sb, k, 0)
	return sb.String()
}

func formatKey(sb *strings.Builder, k any, depth int) {
	switch x := k.(type) {
	case string:
		sb.WriteString(strconv.Quote(x))
	case []byte:
		sb.WriteString(strconv.Quote(string(x)))
	case bool:
		sb.WriteString(strconv.FormatBool(x))
	case []any:
		if depth > maxKeyDepth {
			sb.WriteString("{...}")
			return
		}
		sb.WriteByte('{')
		for i, e := range x {
			if i > 0 {
				sb.WriteString(", ")
			}
			formatKey(sb, e, depth+1)
		}
		sb.WriteByte('}')
	default:
		i, f, isInt, ok := number(k)
		switch {
		case !ok:
			sb.WriteString(typeName(k))
		case isInt:
			sb.WriteString(strconv.FormatInt(i, 10))
		default:
			sb.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		}
	}
}
