package bindings_test

import (
	"bytes"
	"strings"
	"testing"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/lua"
	"github.com/streamctl/streamctl/state"
	"github.com/streamctl/streamctl/value"
)

// TestWriteValueEncodesAsFromLua: c:put writes a Lua value straight into
// its stored encoding (lua.State.WriteValue into a state.ValueBuilder); the
// bytes are those of state.EncodeValue(FromLua(v)), and what WriteValue
// leaves to FromLua it reports as such.
func TestWriteValueEncodesAsFromLua(t *testing.T) {
	s, err := lua.NewStandaloneState(bindings.Modules(bindings.Deps{StateDir: t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	long := "{" + strings.Repeat("1, ", 300) + "2}" // a count past one byte
	wide := "(function() local t = {} for i = 1, 200 do t['k' .. i] = {i, i / 3, 'x' .. i} end return t end)()"
	for _, tc := range []struct {
		src  string
		fast bool // WriteValue covers it
	}{
		{`nil`, true},
		{`true`, true},
		{`false`, true},
		{`0`, true},
		{`-0.0`, true},
		{`1.5`, true},
		{`-42`, true},
		{`2^53 + 2`, true},
		{`1/0`, true},
		{`1e300`, true},
		{`""`, true},
		{`"u12345\0\255"`, true},
		{`{}`, true},
		{`json.array()`, true},
		{`json.null`, true},
		{`{json.null, 1}`, true},
		{`{user = "u12345", n = 7, tags = {"a", "b"}}`, true},
		{`{a = {b = {c = {}}}, z = json.array({1, {x = false}})}`, true},
		{long, true},
		{wide, true},
		{`{1, 2, nil, 4}`, false},
		{`{[2] = "x"}`, false},
		{`{a = 1, [true] = 2}`, false},
		{`{[1.5] = 1}`, false},
		{`{f = print}`, false},
	} {
		if err := s.L.DoString("v = " + tc.src); err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		v := s.L.GetGlobal("v")
		var w state.ValueBuilder
		w.Reset()
		if got := s.WriteValue(v, &w); got != tc.fast {
			t.Errorf("%s: WriteValue reports %v, want %v", tc.src, got, tc.fast)
			continue
		}
		if !tc.fast {
			continue
		}
		gv, err := s.FromLua(v)
		if err != nil {
			t.Fatalf("%s: FromLua: %v", tc.src, err)
		}
		want, err := state.EncodeValue(gv)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		if got := w.Encoded(); !bytes.Equal(got, want) {
			t.Errorf("%s: WriteValue encodes %x\nEncodeValue(FromLua)   %x", tc.src, got, want)
		}
		// And it stores as the value it encodes.
		stored, err := state.EncodeValue(w.Encoded())
		if err != nil || !bytes.Equal(stored, want) {
			t.Errorf("%s: EncodeValue(Encoded) = %x, %v; want %x", tc.src, stored, err, want)
		}
	}
}

// TestWriteValueLongIntegers: a long integer decoded into a table keeps its
// digits through c:put: WriteValue leaves it to FromLua.
func TestWriteValueLongIntegers(t *testing.T) {
	s, err := lua.NewStandaloneState(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, v := range []value.Object{
		{{Key: "id", Value: int64(9007199254740993)}},
		{{Key: "list", Value: []any{int64(1), int64(-9007199254740993)}}},
	} {
		s.BeginRecord()
		lv := s.ToLua(v)
		if _, ok := lv.(*glua.LTable); !ok {
			t.Fatalf("ToLua gave %T", lv)
		}
		var w state.ValueBuilder
		w.Reset()
		if s.WriteValue(lv, &w) {
			t.Errorf("WriteValue covers the long integer's digits in %v", v)
		}
	}
}

// BenchmarkEncodeLuaValue encodes the cache benchmark's value
// {user = "u12345", n = i, tags = {"a", "b"}} for storing, as c:put does
// (lua.State.WriteValue into a state.ValueBuilder, "write") and as it did
// before (FromLua, then state.EncodeValue, "fromlua").
//
//	go test -run '^$' -bench EncodeLuaValue -benchmem ./bindings/
func BenchmarkEncodeLuaValue(b *testing.B) {
	s, err := lua.NewStandaloneState(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.L.DoString(`v = {user = "u12345", n = 123456, tags = {"a", "b"}}`); err != nil {
		b.Fatal(err)
	}
	v := s.L.GetGlobal("v")
	b.Run("write", func(b *testing.B) {
		b.ReportAllocs()
		var w state.ValueBuilder
		for b.Loop() {
			w.Reset()
			if !s.WriteValue(v, &w) {
				b.Fatal("not written")
			}
		}
	})
	b.Run("fromlua", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			gv, err := s.FromLua(v)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := state.EncodeValue(gv); err != nil {
				b.Fatal(err)
			}
		}
	})
}
