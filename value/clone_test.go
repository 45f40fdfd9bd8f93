package value

import (
	"reflect"
	"testing"
)

func TestClone(t *testing.T) {
	orig := map[string]any{
		"list":  []any{int64(1), []byte("ab"), Object{{Key: "k", Value: []any{"x"}}}},
		"table": Table{{Key: int64(1), Value: map[string]any{"m": 1.5}}},
		"n":     Number("12345678901234567890"),
		"null":  nil,
	}
	c := Clone(orig)
	if !reflect.DeepEqual(c, orig) {
		t.Fatalf("Clone = %#v, want %#v", c, orig)
	}
	// Changing the copy at every level leaves the original as it was.
	c["list"].([]any)[1].([]byte)[0] = 'X'
	c["list"].([]any)[2].(Object)[0].Value.([]any)[0] = "changed"
	c["table"].(Table)[0].Value.(map[string]any)["m"] = 0.0
	c["new"] = true
	want := map[string]any{
		"list":  []any{int64(1), []byte("ab"), Object{{Key: "k", Value: []any{"x"}}}},
		"table": Table{{Key: int64(1), Value: map[string]any{"m": 1.5}}},
		"n":     Number("12345678901234567890"),
		"null":  nil,
	}
	if !reflect.DeepEqual(orig, want) {
		t.Errorf("the original changed with its copy: %#v", orig)
	}
	if m := Clone(map[string]any(nil)); m != nil {
		t.Errorf("Clone(nil map) = %#v, want nil", m)
	}
	if v := Clone[any](nil); v != nil {
		t.Errorf("Clone[any](nil) = %#v, want nil", v)
	}
}
