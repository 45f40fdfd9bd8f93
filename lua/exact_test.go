package lua

import (
	"testing"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/value"
)

// TestLongIntegersThroughGoValues: the handler path's conversions (Go
// values from any codec to Lua and back) keep long integers' digits at
// their places, forget them at BeginRecord, and bound what they remember.
func TestLongIntegersThroughGoValues(t *testing.T) {
	s, err := NewStandaloneState(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := value.Object{
		{Key: "id", Value: int64(9007199254740993)},
		{Key: "u", Value: uint64(18446744073709551615)},
		{Key: "n", Value: value.Number("123456789012345678901234567890")},
		{Key: "small", Value: int64(42)},
		{Key: "list", Value: []any{int64(-9007199254740993)}},
	}
	s.BeginRecord()
	lv := s.ToLua(rec)
	back, err := s.FromLua(lv)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := codec.AppendJSON(nil, back)
	const want = `{"id":9007199254740993,"u":18446744073709551615,"n":123456789012345678901234567890,"small":42,"list":[-9007199254740993]}`
	if string(b) != want {
		t.Errorf("FromLua: %s\nwant %s", b, want)
	}
	if b, _ = s.AppendJSON(nil, lv); string(b) != want {
		t.Errorf("AppendJSON: %s\nwant %s", b, want)
	}

	// A bare number record.
	s.BeginRecord()
	if v, _ := s.FromLua(s.ToLua(value.Number("98765432109876543210"))); v != value.Number("98765432109876543210") {
		t.Errorf("bare number: %#v", v)
	}

	// The next record forgets the previous one's digits.
	s.BeginRecord()
	if b, _ = s.AppendJSON(nil, lv); string(b) == want {
		t.Errorf("digits remembered past BeginRecord: %s", b)
	}

	// Outside records, the memory is bounded.
	for i := 0; i < maxExactNumbers+10; i++ {
		s.noteExact(nil, glua.LNumber(i), "9007199254740993", 9007199254740992)
	}
	if n := len(s.exact.byPlace); n > maxExactNumbers {
		t.Errorf("%d numbers remembered", n)
	}
}

// TestLongIntegerText: which JSON number texts are long integers.
func TestLongIntegerText(t *testing.T) {
	for text, want := range map[string]bool{
		"9007199254740991": false, "9007199254740992": true, "-9007199254740992": true,
		"123456789012345678901234567890": true, "1e300": false, "9007199254740993.5": false,
		"1000000000000000": false, "-": false, "": false,
	} {
		if got := value.LongInteger([]byte(text)); got != want {
			t.Errorf("LongInteger(%q) = %v", text, got)
		}
	}
}

// TestMetaTableOrder: meta lists source, key and time, then the source's
// own fields in sorted order, the same for every record; a long integer
// key keeps its digits.
func TestMetaTableOrder(t *testing.T) {
	s, err := NewStandaloneState(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := connectors.Record{Source: "kafka:in", Key: int64(9007199254740993), Meta: map[string]any{
		"topic": "in", "partition": int64(2), "offset": int64(7), "headers": map[string]any{"b": "2", "a": "1"},
	}}
	const want = `{"source":"kafka:in","key":9007199254740993,"headers":{"a":"1","b":"2"},"offset":7,"partition":2,"topic":"in"}`
	for range 20 {
		s.BeginRecord()
		b, err := s.AppendJSON(nil, s.MetaTable(&rec))
		if err != nil || string(b) != want {
			t.Fatalf("meta = %s (%v)\nwant   %s", b, err, want)
		}
	}
}

// FuzzRecordThroughLua: a JSON record converted to Lua and back, or encoded
// from Lua directly, is what the JSON codec writes for it: nothing is lost
// on the way through Lua, long integers included.
func FuzzRecordThroughLua(f *testing.F) {
	for _, s := range []string{
		`{"id":9007199254740993,"prev":9007199254740992,"f":1.5,"n":null,"a":[],"o":{}}`,
		`[12345678901234567890123,-9223372036854775809,1e21,-0.0,0.1]`,
		`{"a":{"b":[1,{"c":18446744073709551615}]},"a":2}`,
		`"x"`, `null`, `9007199254740993`,
	} {
		f.Add(s)
	}
	c, err := codec.Lookup("json")
	if err != nil {
		f.Fatal(err)
	}
	s, err := NewStandaloneState(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		v, err := c.Unmarshal([]byte(in))
		if err != nil {
			return
		}
		want, err := codec.AppendJSON(nil, v)
		if err != nil {
			return // NaN cannot come from JSON; deep nesting can
		}
		s.BeginRecord()
		lv := s.ToLua(v)
		back, err := s.FromLua(lv)
		if err != nil {
			t.Fatalf("FromLua(%s): %v", in, err)
		}
		if got, _ := codec.AppendJSON(nil, back); string(got) != string(want) {
			t.Fatalf("through Lua values:\n got %s\nwant %s", got, want)
		}
		if got, _ := s.AppendJSON(nil, lv); string(got) != string(want) {
			t.Fatalf("Lua encoding:\n got %s\nwant %s", got, want)
		}
	})
}
