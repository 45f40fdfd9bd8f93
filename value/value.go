// Package value holds the data model of records: the plain Go values that
// sources decode, sinks encode, the state store persists and package lua maps
// to Lua values. It imports nothing of streamctl, so codecs, state and the
// runtime all share it.
//
// A value is nil (JSON null), bool, int64, float64, string, []byte, []any (an
// array), Object (a map that keeps its key order), Table (a map whose keys are
// not all strings) or Number (the digits of an integer a float64 cannot hold).
// Encoders and the store also accept map[string]any (in sorted key order),
// int, uint64 and float32.
package value

// Object is a decoded map that keeps the order of its keys, as read from JSON,
// CSV or msgpack. Keys are unique.
type Object []Member

// Member is one key/value pair of an Object.
type Member struct {
	Key   string
	Value any
}

// Get returns the value at key and whether it exists.
func (o Object) Get(key string) (any, bool) {
	for i := range o {
		if o[i].Key == key {
			return o[i].Value, true
		}
	}
	return nil, false
}

// Table is a map whose keys are not all strings: a Lua table such as
// {1, 2, x = 3} or {[1] = "a", [3] = "c"}, in insertion order. Keys are
// string, bool, int64 or float64. The state encoding keeps it exactly; JSON
// and CSV write the keys as strings (numbers as Lua prints them), msgpack
// writes them as they are.
type Table []Entry

// Entry is one key/value pair of a Table.
type Entry struct {
	Key, Value any
}
