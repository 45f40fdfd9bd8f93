package connectors

import (
	"slices"
	"testing"
)

func TestRecordWhere(t *testing.T) {
	for _, tt := range []struct {
		name string
		rec  Record
		want string
	}{
		{"line", Record{Source: "stdin", Pos: 12}, "stdin:12"},
		{"no position", Record{Source: "timer"}, "timer"},
		{"kafka", Record{Source: "kafka:orders", Pos: 17, Meta: map[string]any{"partition": int64(2), "offset": int64(17)}}, "kafka:orders partition 2 offset 17"},
		{"kafka offset 0", Record{Source: "kafka:orders", Meta: map[string]any{"partition": int64(0), "offset": int64(0)}}, "kafka:orders partition 0 offset 0"},
		{"other meta", Record{Source: "sse", Pos: 3, Meta: map[string]any{"id": "7"}}, "sse:3"},
		{"fields", Record{Source: "kafka:orders", Pos: 17, Fields: testFields{"partition": int64(2), "offset": int64(17)}}, "kafka:orders partition 2 offset 17"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rec.Where(); got != tt.want {
				t.Errorf("Where() = %q, want %q", got, tt.want)
			}
		})
	}
}

// testFields is a MetaFields on a map.
type testFields map[string]any

func (f testFields) MetaField(k string) (any, bool) { v, ok := f[k]; return v, ok }
func (f testFields) MetaKeys(dst []string) []string {
	for k := range f {
		dst = append(dst, k)
	}
	return dst
}

// TestRecordMeta: MetaField and MetaKeys see Fields and Meta, Fields first.
func TestRecordMeta(t *testing.T) {
	r := Record{Fields: testFields{"topic": "t", "offset": int64(3)}, Meta: map[string]any{"offset": int64(9), "id": "x"}}
	if v, ok := r.MetaField("offset"); !ok || v != int64(3) {
		t.Errorf("offset = %v, %v; want Fields' 3", v, ok)
	}
	if v, ok := r.MetaField("id"); !ok || v != "x" {
		t.Errorf("id = %v, %v; want Meta's x", v, ok)
	}
	if _, ok := r.MetaField("key"); ok {
		t.Error("a field no one has is found")
	}
	if n, ok := r.MetaInt("offset"); !ok || n != 3 {
		t.Errorf("MetaInt(offset) = %d, %v", n, ok)
	}
	if _, ok := r.MetaInt("topic"); ok {
		t.Error("MetaInt of a string field")
	}
	keys := r.MetaKeys([]string{"pre"})
	slices.Sort(keys[1:])
	if want := []string{"pre", "id", "offset", "topic"}; !slices.Equal(keys, want) {
		t.Errorf("MetaKeys = %v, want %v", keys, want)
	}
}
