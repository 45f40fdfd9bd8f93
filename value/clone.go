package value

import "slices"

// Clone returns a deep copy of v: arrays, Objects, Tables, maps and byte
// slices are copied at every level, so changing the copy never changes v.
// Other values (numbers, strings, Number, nil) are immutable and returned as
// they are. A nil map stays nil.
func Clone[T any](v T) T {
	c, _ := clone(v).(T)
	return c
}

func clone(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = clone(e)
		}
		return out
	case []byte:
		return slices.Clone(x)
	case map[string]any:
		if x == nil {
			return x
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = clone(e)
		}
		return out
	case Object:
		out := make(Object, len(x))
		for i, m := range x {
			out[i] = Member{Key: m.Key, Value: clone(m.Value)}
		}
		return out
	case Table:
		out := make(Table, len(x))
		for i, e := range x {
			out[i] = Entry{Key: clone(e.Key), Value: clone(e.Value)}
		}
		return out
	}
	return v
}
