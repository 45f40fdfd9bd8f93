package lua

import (
	"testing"

	"github.com/valyala/fastjson"

	"github.com/streamctl/streamctl/connectors/codec"
)

// The conversions every binding pays for a record: a 5-field access-log
// object with a nested array, between the value data model, JSON and Lua.
//
//	go test -run '^$' -bench Convert ./lua/

const benchRecordJSON = `{"ts":"2024-01-01T00:00:00Z","user":"u42","status":503,"path":"/api/v1/items/7","bytes":51234,"tags":["a","b"]}`

func benchState(b *testing.B) (*State, any) {
	b.Helper()
	s, err := NewStandaloneState(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	c, _ := codec.Lookup("json")
	v, err := c.Unmarshal([]byte(benchRecordJSON))
	if err != nil {
		b.Fatal(err)
	}
	return s, v
}

func BenchmarkConvertToLua(b *testing.B) {
	s, v := benchState(b)
	b.ReportAllocs()
	for b.Loop() {
		s.ToLua(v)
	}
}

func BenchmarkConvertFromLua(b *testing.B) {
	s, v := benchState(b)
	t := s.ToLua(v)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.FromLua(t); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConvertFromJSON(b *testing.B) {
	s, _ := benchState(b)
	var p fastjson.Parser
	b.SetBytes(int64(len(benchRecordJSON)))
	b.ReportAllocs()
	for b.Loop() {
		jv, err := p.Parse(benchRecordJSON)
		if err != nil {
			b.Fatal(err)
		}
		s.FromJSON(jv)
	}
}

func BenchmarkConvertAppendJSON(b *testing.B) {
	s, v := benchState(b)
	t := s.ToLua(v)
	var dst []byte
	b.SetBytes(int64(len(benchRecordJSON)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = s.AppendJSON(dst[:0], t); err != nil {
			b.Fatal(err)
		}
	}
}
