package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"slices"
	"testing"
)

// refCompare is the key order defined in keys.go, computed without the
// encoding: type rank, then numbers exactly (math/big), strings byte-wise,
// tuples element-wise.
func refCompare(a, b any) int {
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return cmpInt(ra, rb)
	}
	switch ra {
	case -3, -2:
		return 0
	case 1:
		return bigNum(a).Cmp(bigNum(b))
	case 2:
		return bytes.Compare([]byte(a.(string)), []byte(b.(string)))
	}
	ta, tb := a.([]any), b.([]any)
	for i := 0; i < len(ta) && i < len(tb); i++ {
		if c := refCompare(ta[i], tb[i]); c != 0 {
			return c
		}
	}
	return cmpInt(len(ta), len(tb))
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// rank: false -3, true -2, numbers 1, strings 2, tuples 3.
func rank(k any) int {
	switch x := k.(type) {
	case bool:
		if x {
			return -2
		}
		return -3
	case string:
		return 2
	case []any:
		return 3
	}
	return 1
}

func bigNum(k any) *big.Float {
	switch x := k.(type) {
	case int64:
		return new(big.Float).SetInt64(x)
	case int:
		return new(big.Float).SetInt64(int64(x))
	case float64:
		return new(big.Float).SetFloat64(x)
	}
	panic("not a number")
}

func TestKeyOrder(t *testing.T) {
	// Each key sorts strictly after the previous one.
	ordered := []any{
		false, true,
		math.Inf(-1), -math.MaxFloat64, float64(math.MinInt64) * 2, int64(math.MinInt64), int64(math.MinInt64 + 1),
		-(1 << 53) - 3, -(1 << 53) - 2, -(1 << 53) - 1, -(1 << 53), -1e6, -2, -1.5, -1, -0.5, -math.SmallestNonzeroFloat64,
		0, math.SmallestNonzeroFloat64, 1e-300, 0.5, 1, 1.5, 2, 1e6,
		1 << 53, 1<<53 + 1, 1<<53 + 2, 1<<53 + 3, int64(math.MaxInt64 - 1024), int64(math.MaxInt64 - 1), int64(math.MaxInt64),
		float64(1 << 63), 1e300, math.MaxFloat64, math.Inf(1),
		"", "\x00", "\x00\x00", "\x00\x01", "\x01", "a", "a\x00", "a\x00b", "a\x01", "ab", "b", "\xff", "\xff\xff",
		[]any{}, []any{false}, []any{-1}, []any{0}, []any{0, "a"}, []any{0.5}, []any{""}, []any{"a"}, []any{"a", 1},
		[]any{"a", 2}, []any{"a", 10}, []any{"a", "x"}, []any{"a", []any{}}, []any{"a\x00"}, []any{"ab"},
		[]any{[]any{}}, []any{[]any{1}}, []any{[]any{1}, 0},
	}
	var prev []byte
	for i, k := range ordered {
		enc, err := EncodeKey(k)
		if err != nil {
			t.Fatalf("EncodeKey(%#v): %v", k, err)
		}
		if i > 0 {
			if bytes.Compare(prev, enc) >= 0 {
				t.Errorf("EncodeKey(%s) = %x does not sort after EncodeKey(%s) = %x", FormatKey(k), enc, FormatKey(ordered[i-1]), prev)
			}
			if refCompare(ordered[i-1], k) >= 0 {
				t.Errorf("refCompare(%s, %s) >= 0", FormatKey(ordered[i-1]), FormatKey(k))
			}
		}
		prev = enc
	}
}

func TestKeyEqual(t *testing.T) {
	for _, tt := range []struct {
		name string
		a, b any
	}{
		{"minus zero", math.Copysign(0, -1), int64(0)},
		{"int and float", 3, 3.0},
		{"int64 and int", int64(-7), -7},
		{"int32", int32(5), int64(5)},
		{"uint64", uint64(5), 5.0},
		{"float32", float32(0.5), 0.5},
		{"big float int", float64(1 << 60), int64(1 << 60)},
		{"bytes and string", []byte("a\x00"), "a\x00"},
		{"tuple", []any{1, "x"}, []any{1.0, []byte("x")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := EncodeKey(tt.a)
			if err != nil {
				t.Fatal(err)
			}
			b, err := EncodeKey(tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("EncodeKey(%#v) = %x, EncodeKey(%#v) = %x", tt.a, a, tt.b, b)
			}
		})
	}
}

func TestKeyRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		in, want any
	}{
		{true, true},
		{false, false},
		{3.0, int64(3)},
		{-0.0, int64(0)},
		{0.25, 0.25},
		{int64(math.MaxInt64), int64(math.MaxInt64)},
		{int64(math.MinInt64), int64(math.MinInt64)},
		{1<<53 + 1, int64(1<<53 + 1)},
		{-(1 << 53) - 1, int64(-(1 << 53) - 1)},
		{float64(1 << 63), float64(1 << 63)},
		{math.Inf(-1), math.Inf(-1)},
		{1e300, 1e300},
		{"a\x00\x01\xffb", "a\x00\x01\xffb"},
		{[]byte("x"), "x"},
		{[]any{}, []any{}},
		{[]any{"u1", 1.5, []any{true}}, []any{"u1", 1.5, []any{true}}},
	} {
		enc, err := EncodeKey(tt.in)
		if err != nil {
			t.Fatalf("EncodeKey(%#v): %v", tt.in, err)
		}
		got, err := DecodeKey(enc)
		if err != nil {
			t.Fatalf("DecodeKey(%x): %v", enc, err)
		}
		if !keyIdentical(got, tt.want) {
			t.Errorf("DecodeKey(EncodeKey(%#v)) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

// keyIdentical compares decoded keys by type and value.
func keyIdentical(a, b any) bool {
	ta, ok := a.([]any)
	if ok {
		tb, ok := b.([]any)
		return ok && slices.EqualFunc(ta, tb, keyIdentical)
	}
	return a == b
}

func TestKeyErrors(t *testing.T) {
	deep := []any{}
	for range 40 {
		deep = []any{deep}
	}
	for _, tt := range []struct {
		name string
		in   any
		want string
	}{
		{"nan", math.NaN(), "NaN cannot be a key"},
		{"nan in tuple", []any{1, math.NaN()}, "NaN cannot be a key"},
		{"nil", nil, "a key must be a string, number, boolean or list of those, got null"},
		{"map", map[string]any{}, "a key must be a string, number, boolean or list of those, got table"},
		{"big uint", uint64(math.MaxUint64), "a key must be a string, number, boolean or list of those, got uint64"},
		{"deep", deep, "key tuples nest deeper than 32 levels"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := EncodeKey(tt.in)
			if err == nil || err.Error() != tt.want || !errors.Is(err, ErrBadKey) {
				t.Errorf("EncodeKey(%v) = %v, want %q (ErrBadKey)", tt.name, err, tt.want)
			}
		})
	}
	for _, b := range [][]byte{nil, {0x01}, {tagNumber, 1}, {tagString, 'a'}, {tagString, 0, 2}, {tagTuple}, {tagTrue, 0},
		append([]byte{tagNumber}, binary.BigEndian.AppendUint64(nil, math.Float64bits(math.NaN())|1<<63)...)} {
		if _, err := DecodeKey(b); !errors.Is(err, ErrBadKey) {
			t.Errorf("DecodeKey(%x) = %v, want ErrBadKey", b, err)
		}
	}
}

func TestPrefixKey(t *testing.T) {
	keys := []any{"a", "ab", "ab\x00", "abc", "b", []any{"ab"}, []any{"ab", 1}, []any{"ab", 2, "x"}, []any{"abc", 1}, []any{"b"}, 5}
	for _, tt := range []struct {
		name   string
		prefix any
		want   []any
	}{
		{"string", "ab", []any{"ab", "ab\x00", "abc"}},
		{"string with nul", "ab\x00", []any{"ab\x00"}},
		{"empty string", "", []any{"a", "ab", "ab\x00", "abc", "b"}},
		{"tuple", []any{"ab"}, []any{[]any{"ab"}, []any{"ab", 1}, []any{"ab", 2, "x"}}},
		{"tuple 2", []any{"ab", 2}, []any{[]any{"ab", 2, "x"}}},
		{"empty tuple", []any{}, []any{[]any{"ab"}, []any{"ab", 1}, []any{"ab", 2, "x"}, []any{"abc", 1}, []any{"b"}}},
		{"number", 5, []any{5}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := PrefixKey(tt.prefix)
			if err != nil {
				t.Fatal(err)
			}
			var got []any
			for _, k := range keys {
				enc, _ := EncodeKey(k)
				if bytes.HasPrefix(enc, p) {
					got = append(got, k)
				}
			}
			if FormatKey(got) != FormatKey(tt.want) {
				t.Errorf("keys with prefix %s = %s, want %s", FormatKey(tt.prefix), FormatKey(got), FormatKey(tt.want))
			}
		})
	}
}

func TestFormatKey(t *testing.T) {
	if got, want := FormatKey([]any{"u1", int64(5), 0.5, true}), `{"u1", 5, 0.5, true}`; got != want {
		t.Errorf("FormatKey = %s, want %s", got, want)
	}
}

// keyGen builds keys from fuzz bytes.
type keyGen struct{ b []byte }

func (g *keyGen) byte() byte {
	if len(g.b) == 0 {
		return 0
	}
	c := g.b[0]
	g.b = g.b[1:]
	return c
}

func (g *keyGen) u64() uint64 {
	var x uint64
	for range 8 {
		x = x<<8 | uint64(g.byte())
	}
	return x
}

func (g *keyGen) key(depth int) any {
	switch c := g.byte(); c % 9 {
	case 0:
		return c&0x10 != 0
	case 1:
		return int64(int8(g.byte()))
	case 2:
		return int64(g.u64())
	case 3:
		f := math.Float64frombits(g.u64())
		if math.IsNaN(f) {
			return math.Inf(1)
		}
		return f
	case 4: // near the float/int boundaries
		bases := []float64{1 << 53, -(1 << 53), 1 << 62, -(1 << 62), 1 << 63, -(1 << 63), 0}
		base := bases[int(g.byte())%len(bases)]
		off := int64(int8(g.byte()))
		if g.byte()&1 == 0 {
			return base + float64(off)
		}
		if base >= 1<<63 {
			return int64(math.MaxInt64) - off&0x7f
		}
		return int64(base) + off
	case 5:
		return float64(int8(g.byte())) / 4
	case 6, 7:
		n := int(g.byte() % 6)
		s := make([]byte, n)
		for i := range s {
			s[i] = g.byte() % 4 * 0x55 // 0x00, 0x55, 0xaa, 0xff
			if g.byte()&1 == 0 {
				s[i] = 1
			}
		}
		return string(s)
	default:
		if depth >= 3 {
			return "t"
		}
		n := int(g.byte() % 4)
		t := []any{}
		for range n {
			t = append(t, g.key(depth+1))
		}
		return t
	}
}

// canonical reports whether a decoded key has the canonical number types.
func canonical(k any) bool {
	switch x := k.(type) {
	case float64:
		return !(x == math.Trunc(x) && x >= -two63 && x < two63)
	case []any:
		for _, e := range x {
			if !canonical(e) {
				return false
			}
		}
	}
	return true
}

func FuzzKeyOrder(f *testing.F) {
	f.Add([]byte{2, 1, 2, 3, 4, 5, 6, 7, 8}, []byte{3, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{4, 0, 1, 0}, []byte{4, 0, 2, 1})
	f.Add([]byte{8, 2, 6, 1, 0, 1}, []byte{8, 1, 6, 1, 0})
	f.Add([]byte{6, 3, 0, 1, 2, 3, 4, 5}, []byte{7, 2, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		ka, kb := (&keyGen{a}).key(0), (&keyGen{b}).key(0)
		ea, err := EncodeKey(ka)
		if err != nil {
			t.Fatalf("EncodeKey(%s): %v", FormatKey(ka), err)
		}
		eb, err := EncodeKey(kb)
		if err != nil {
			t.Fatalf("EncodeKey(%s): %v", FormatKey(kb), err)
		}
		if got, want := bytes.Compare(ea, eb), refCompare(ka, kb); got != want {
			t.Fatalf("order of %s (%x) and %s (%x): bytes %d, keys %d", FormatKey(ka), ea, FormatKey(kb), eb, got, want)
		}
		for _, k := range []any{ka, kb} {
			enc, _ := EncodeKey(k)
			d, err := DecodeKey(enc)
			if err != nil {
				t.Fatalf("DecodeKey(EncodeKey(%s)): %v", FormatKey(k), err)
			}
			if refCompare(d, k) != 0 || !canonical(d) {
				t.Fatalf("DecodeKey(EncodeKey(%s)) = %#v", FormatKey(k), d)
			}
			re, _ := EncodeKey(d)
			if !bytes.Equal(re, enc) {
				t.Fatalf("re-encoding %s: %x, want %x", FormatKey(k), re, enc)
			}
		}
	})
}

func FuzzDecodeKey(f *testing.F) {
	for _, k := range []any{"a\x00b", []any{1, "x", []any{true}}, 1<<53 + 1, -0.5} {
		enc, _ := EncodeKey(k)
		f.Add(enc)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := DecodeKey(b)
		if err != nil {
			if !errors.Is(err, ErrBadKey) {
				t.Fatalf("DecodeKey(%x): %v is not ErrBadKey", b, err)
			}
			return
		}
		// What decodes must re-encode to the same bytes (the encoding is canonical).
		enc, err := EncodeKey(k)
		if err != nil {
			t.Fatalf("EncodeKey(DecodeKey(%x)): %v", b, err)
		}
		if !bytes.Equal(enc, b) {
			t.Fatalf("EncodeKey(DecodeKey(%x)) = %x", b, enc)
		}
	})
}
