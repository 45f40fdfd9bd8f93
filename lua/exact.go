package lua

import (
	"strconv"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/value"
)

// Long integers through Lua. gopher-lua numbers are float64, so a JSON
// integer beyond ±2^53 (an id, a nanosecond timestamp) loses digits the
// moment it becomes a Lua number, and a record passing through a handler
// unchanged would come out changed. The contract is that it does not: the
// state remembers the text of each such number of the current record, by
// where it was put (a field of a table, or the record itself) and by its
// float64 value. When a number is encoded or converted back, the text is
// used if the number is at a remembered place with the value the text
// decodes to, or else if its value is that of exactly one remembered
// number (a field copied into a new table: {id = v.id}). A number the
// script computed is written as the float64 it is, unless that float64 is
// a remembered number's (v.id + 0, or v.id + 1 beyond 2^53 where the sum
// rounds back to v.id): then it is written with that number's digits.
//
// The memory is per record: BeginRecord forgets it. It is bounded for code
// that runs outside records (json.decode in a loop at the top level) by
// maxExactNumbers.

// exactKey is a place of a number: field k of table t, or the value itself
// (t nil, k nil) for a record that is a bare number.
type exactKey struct {
	t *glua.LTable
	k glua.LValue
}

// exactNumber is the text of a long integer and the float64 Lua holds.
type exactNumber struct {
	text string
	f    float64
}

// exactNumbers holds the long integers of the current record; its maps
// are nil until the first one, so records without any cost a length check.
type exactNumbers struct {
	byPlace map[exactKey]exactNumber
	// byValue maps a float64 to the one text decoding to it, or to "" when
	// two different texts do (then only their places tell them apart).
	byValue map[float64]string
}

// maxExactNumbers bounds the memory when no record boundary clears it.
const maxExactNumbers = 1 << 16

// BeginRecord forgets the long integers of the previous record. Handlers
// and pipe workers call it before converting each record.
func (s *State) BeginRecord() {
	if len(s.exact.byPlace) > 0 {
		clear(s.exact.byPlace)
		clear(s.exact.byValue)
	}
}

// noteExact remembers text as the number f at (t, k).
func (s *State) noteExact(t *glua.LTable, k glua.LValue, text string, f float64) {
	e := &s.exact
	if e.byPlace == nil {
		e.byPlace = map[exactKey]exactNumber{}
		e.byValue = map[float64]string{}
	} else if len(e.byPlace) >= maxExactNumbers {
		s.BeginRecord()
	}
	e.byPlace[exactKey{t, k}] = exactNumber{text, f}
	if old, seen := e.byValue[f]; seen && old != text {
		text = ""
	}
	e.byValue[f] = text
}

// mayBeExact reports whether noteGoNumber could remember v. Callers test it
// first, so that the key is not boxed into an interface for every value.
func mayBeExact(v any) bool {
	switch v.(type) {
	case int64, uint64, value.Number:
		return true
	}
	return false
}

// noteGoNumber remembers the text of v, a decoded Go value placed at
// (t, k), when v is a long integer (an int64 or uint64 at or beyond ±2^53,
// or a value.Number).
func (s *State) noteGoNumber(t *glua.LTable, k glua.LValue, v any) {
	switch x := v.(type) {
	case int64:
		if value.LongInt(x) {
			s.noteExact(t, k, strconv.FormatInt(x, 10), float64(x))
		}
	case uint64:
		if x >= 1<<53 {
			s.noteExact(t, k, strconv.FormatUint(x, 10), float64(x))
		}
	case value.Number:
		s.noteExact(t, k, string(x), x.Float64())
	}
}

// AppendRecordNumber appends n as a record that is a bare number is written:
// the digits of the long integer it was decoded from, when n is one
// remembered for the current record, else FormatNumber(n).
func (s *State) AppendRecordNumber(dst []byte, n glua.LNumber) []byte {
	if text, ok := s.exactText(nil, nil, n); ok {
		return append(dst, text...)
	}
	return AppendNumber(dst, float64(n))
}

// exactText returns the text to write for the number f at (t, k): the one
// remembered there if it still has its value, else the only one remembered
// with value f.
func (s *State) exactText(t *glua.LTable, k glua.LValue, f glua.LNumber) (string, bool) {
	e := &s.exact
	if len(e.byPlace) == 0 {
		return "", false
	}
	if n, ok := e.byPlace[exactKey{t, k}]; ok && n.f == float64(f) {
		return n.text, true
	}
	text := e.byValue[float64(f)]
	return text, text != ""
}
