package connectors

import "testing"

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
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rec.Where(); got != tt.want {
				t.Errorf("Where() = %q, want %q", got, tt.want)
			}
		})
	}
}
