package state

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/streamctl/streamctl/value"
)

// valueEqual is reflect.DeepEqual that compares floats bit for bit (so NaN
// equals itself with the same payload and -0 differs from 0).
func valueEqual(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case []any:
		y, ok := b.([]any)
		return ok && slices.EqualFunc(x, y, valueEqual)
	case value.Object:
		y, ok := b.(value.Object)
		return ok && slices.EqualFunc(x, y, func(m, n value.Member) bool { return m.Key == n.Key && valueEqual(m.Value, n.Value) })
	case value.Table:
		y, ok := b.(value.Table)
		return ok && slices.EqualFunc(x, y, func(m, n value.Entry) bool { return valueEqual(m.Key, n.Key) && valueEqual(m.Value, n.Value) })
	}
	return a == b
}

// normalize is what a value decodes as: maps become sorted Objects, small
// numeric types widen.
func normalize(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case value.Object:
		out := make(value.Object, len(x))
		for i, m := range x {
			out[i] = value.Member{Key: m.Key, Value: normalize(m.Value)}
		}
		return out
	case value.Table:
		out := make(value.Table, len(x))
		for i, e := range x {
			out[i] = value.Entry{Key: normalize(e.Key), Value: normalize(e.Value)}
		}
		return out
	case map[string]any:
		out := value.Object{}
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range x {
				if !yield(k) {
					return
				}
			}
		}) {
			out = append(out, value.Member{Key: k, Value: normalize(x[k])})
		}
		return out
	case []byte:
		return slices.Clip(append([]byte{}, x...))
	case int:
		return int64(x)
	case float32:
		return float64(x)
	case value.Number:
		if n, ok := x.Int64(); ok {
			return n
		}
	}
	return v
}

func TestValueRoundTrip(t *testing.T) {
	nan := math.Float64frombits(0x7ff8_0000_dead_beef)
	for _, tt := range []struct {
		name string
		in   any
	}{
		{"nil", nil},
		{"false", false},
		{"true", true},
		{"int", int64(-42)},
		{"int max", int64(math.MaxInt64)},
		{"int min", int64(math.MinInt64)},
		{"2^53+1", int64(1<<53 + 1)},
		{"float", 1.5},
		{"float 2^53", float64(1 << 53)},
		{"minus zero", math.Copysign(0, -1)},
		{"nan payload", nan},
		{"negative nan", -nan},
		{"inf", math.Inf(1)},
		{"-inf", math.Inf(-1)},
		{"subnormal", math.SmallestNonzeroFloat64},
		{"long integer keeps its digits", value.Number("12345678901234567890123")},
		{"negative long integer", value.Number("-9223372036854775809")},
		{"long integer text that fits int64", value.Number("9007199254740993")},
		{"string", "héllo\x00\xff"},
		{"empty string", ""},
		{"bytes", []byte{0, 1, 0xff}},
		{"empty bytes", []byte{}},
		{"array", []any{int64(1), "two", 3.0, nil, []any{}}},
		{"empty array", []any{}},
		{"object", obj("z", int64(1), "a", nil, "m", value.Object{})},
		{"empty object", value.Object{}},
		{"table with number and boolean keys", value.Table{{Key: int64(1), Value: "a"}, {Key: int64(3), Value: "c"}, {Key: "x", Value: int64(3)}, {Key: true, Value: 1.5}, {Key: 2.5, Value: nil}}},
		{"map", map[string]any{"b": int64(2), "a": []any{true}, "c": map[string]any{}}},
		{"int", 7},
		{"float32", float32(0.5)},
		{"nested", []any{obj("k", []any{[]byte("x"), "x", nil, obj("", 0.0)})}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := EncodeValue(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeValue(b)
			if err != nil {
				t.Fatal(err)
			}
			if want := normalize(tt.in); !valueEqual(got, want) {
				t.Errorf("DecodeValue(EncodeValue(%#v)) = %#v, want %#v", tt.in, got, want)
			}
		})
	}
}

func TestValueErrors(t *testing.T) {
	cyc := []any{nil}
	cyc[0] = cyc
	for _, tt := range []struct {
		name string
		in   any
		want string
	}{
		{"func", func() {}, "cannot store a value of type func()"},
		{"struct", struct{}{}, "cannot store a value of type struct {}"},
		{"big uint", uint64(math.MaxUint64), "cannot store 18446744073709551615: integers above 9223372036854775807 do not fit"},
		{"cycle", cyc, "value nests deeper than 1000 levels (a cycle?)"},
		{"number that is not digits", value.Number("1e400"), `cannot store the number "1e400": not an integer's digits`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := EncodeValue(tt.in)
			if err == nil || err.Error() != tt.want || !errors.Is(err, ErrBadValue) {
				t.Errorf("EncodeValue = %v, want %q", err, tt.want)
			}
		})
	}
	for _, tt := range []struct {
		in   []byte
		want string
	}{
		{nil, "invalid value encoding: empty"},
		{[]byte{9}, "invalid value encoding: unknown version 9 (written by a newer streamctl?)"},
		{[]byte{1, valString, 10, 'a'}, "invalid value encoding: length past the end"},
		{[]byte{1, valArray, 0xff, 0xff, 0xff, 0xff, 0x0f}, "invalid value encoding: length past the end"},
		{[]byte{1, valTrue, 0}, "invalid value encoding: 1 bytes after the value"},
		{[]byte{1, 0x42}, "invalid value encoding: unknown tag 0x42"},
		{[]byte{1, valNumber, 2, '4', '2'}, "invalid value encoding: bad long integer"},
		{[]byte{1, valNumber, 2, '4', 'x'}, "invalid value encoding: bad long integer"},
	} {
		_, err := DecodeValue(tt.in)
		if err == nil || err.Error() != tt.want || !errors.Is(err, ErrBadValue) {
			t.Errorf("DecodeValue(%x) = %v, want %q", tt.in, err, tt.want)
		}
	}
}

// valueGen builds values from fuzz bytes.
type valueGen struct{ keyGen }

func (g *valueGen) value(depth int) any {
	switch c := g.byte(); c % 13 {
	case 0:
		return nil
	case 1:
		return c&0x10 != 0
	case 2:
		return int64(g.u64())
	case 3:
		return int64(int8(g.byte()))
	case 4:
		return math.Float64frombits(g.u64()) // any bits: NaN payloads, -0, subnormals
	case 5:
		return g.str()
	case 6:
		return []byte(g.str())
	case 7:
		if c&0x10 != 0 {
			return value.Number(fmt.Sprintf("-9%020d", g.u64())) // beyond int64
		}
		return 7 // an int: decodes as int64
	case 8, 9:
		if depth > 4 {
			return nil
		}
		a := []any{}
		for range int(g.byte() % 5) {
			a = append(a, g.value(depth+1))
		}
		return a
	case 10:
		if depth > 4 {
			return "deep"
		}
		o := value.Object{}
		for range int(g.byte() % 5) {
			o = append(o, value.Member{Key: g.str(), Value: g.value(depth + 1)})
		}
		return o
	case 11:
		if depth > 4 {
			return int64(11)
		}
		t := value.Table{}
		for i := range int(g.byte() % 5) {
			var k any
			switch g.byte() % 4 {
			case 0:
				k = int64(i) - 2
			case 1:
				k = float64(i) + 0.5
			case 2:
				k = i%2 == 0
			default:
				k = g.str()
			}
			t = append(t, value.Entry{Key: k, Value: g.value(depth + 1)})
		}
		return t
	default:
		if depth > 4 {
			return false
		}
		m := map[string]any{}
		for range int(g.byte() % 4) {
			m[g.str()] = g.value(depth + 1)
		}
		return m
	}
}

func (g *valueGen) str() string {
	n := int(g.byte() % 8)
	var sb strings.Builder
	for range n {
		sb.WriteByte(g.byte())
	}
	return sb.String()
}

func FuzzValueRoundTrip(f *testing.F) {
	f.Add([]byte{8, 3, 2, 1, 2, 3, 4, 5, 6, 7, 8, 4, 0, 0, 0, 0, 0, 0, 0, 0x80, 0})
	f.Add([]byte{10, 2, 1, 'a', 5, 2, 0, 0xff, 11, 1, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		v := (&valueGen{keyGen{data}}).value(0)
		b, err := EncodeValue(v)
		if err != nil {
			t.Fatalf("EncodeValue(%#v): %v", v, err)
		}
		got, err := DecodeValue(b)
		if err != nil {
			t.Fatalf("DecodeValue(EncodeValue(%#v)): %v", v, err)
		}
		if want := normalize(v); !valueEqual(got, want) {
			t.Fatalf("DecodeValue(EncodeValue(%#v)) = %#v", v, got)
		}
	})
}

func FuzzDecodeValue(f *testing.F) {
	for _, v := range []any{nil, obj("a", []any{1.5, "x", []byte("y")}), int64(-1)} {
		b, _ := EncodeValue(v)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeValue(b)
		if err != nil {
			if !errors.Is(err, ErrBadValue) {
				t.Fatalf("DecodeValue(%x): %v is not ErrBadValue", b, err)
			}
			return
		}
		// What decodes must encode back to a value that decodes the same.
		enc, err := EncodeValue(v)
		if err != nil {
			t.Fatalf("EncodeValue(DecodeValue(%x)): %v", b, err)
		}
		again, err := DecodeValue(enc)
		if err != nil || !valueEqual(again, v) {
			t.Fatalf("round trip of %x: %#v, %v", b, again, err)
		}
	})
}

func ExampleEncodeValue() {
	b, _ := EncodeValue(obj("n", int64(1), "l", []any{}))
	v, _ := DecodeValue(b)
	fmt.Printf("%x %v\n", b, v)
	// Output: 010802016e0302016c0700 [{n 1} {l []}]
}

// obj builds an Object from alternating keys and values.
func obj(kv ...any) value.Object {
	o := value.Object{}
	for i := 0; i < len(kv); i += 2 {
		o = append(o, value.Member{Key: kv[i].(string), Value: kv[i+1]})
	}
	return o
}
