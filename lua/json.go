package lua

import (
	"fmt"
	"strconv"

	"github.com/valyala/fastjson"
	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/value"
)

// AppendJSON appends the compact JSON encoding of a Lua value to dst, reading
// the Lua table directly (no intermediate Go values). Key order is the table's
// insertion order; arrays follow the rules of FromLua.
func (s *State) AppendJSON(dst []byte, v glua.LValue) ([]byte, error) {
	return s.appendJSONField(dst, nil, nil, v, 0) // the record's own place
}

// AppendJSONMember appends the JSON encoding of v, the value at the string
// key k of table t, as AppendJSON(t) writes it there: a long integer
// decoded into that place (exact.go) keeps its digits.
func (s *State) AppendJSONMember(dst []byte, t *glua.LTable, k string, v glua.LValue) ([]byte, error) {
	return s.appendJSONField(dst, t, glua.LString(k), v, 1)
}

// appendJSONField appends the value at key k of table t (t nil: the
// record itself), a long integer decoded there (exact.go) as its text.
func (s *State) appendJSONField(dst []byte, t *glua.LTable, k, v glua.LValue, depth int) ([]byte, error) {
	if n, ok := v.(glua.LNumber); ok {
		if text, ok := s.exactText(t, k, n); ok {
			return append(dst, text...), nil
		}
	}
	return s.appendJSON(dst, v, depth)
}

func (s *State) appendJSON(dst []byte, v glua.LValue, depth int) ([]byte, error) {
	switch x := v.(type) {
	case *glua.LNilType:
		return append(dst, "null"...), nil
	case glua.LBool:
		if x {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case glua.LNumber:
		return codec.AppendNumber(dst, float64(x))
	case glua.LString:
		return codec.AppendString(dst, string(x)), nil
	case *glua.LTable:
		if depth >= maxDepth {
			return dst, fmt.Errorf("table nested more than %d levels (a cycle?)", maxDepth)
		}
		if n, ok := s.arrayLen(x); ok {
			dst = append(dst, '[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					dst = append(dst, ',')
				}
				var err error
				if dst, err = s.appendJSONField(dst, x, glua.LNumber(i), x.RawGetInt(i), depth+1); err != nil {
					return dst, err
				}
			}
			return append(dst, ']'), nil
		}
		dst = append(dst, '{')
		first := true
		var err error
		ForEachOrdered(x, func(k, val glua.LValue) {
			if err != nil {
				return
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			switch kk := k.(type) {
			case glua.LString:
				dst = codec.AppendString(dst, string(kk))
			case glua.LNumber:
				dst = codec.AppendString(dst, FormatNumber(float64(kk)))
			case glua.LBool:
				dst = codec.AppendString(dst, kk.String())
			default:
				err = fmt.Errorf("cannot encode a table key of type %s as JSON", k.Type())
				return
			}
			dst = append(dst, ':')
			dst, err = s.appendJSONField(dst, x, k, val, depth+1)
		})
		if err != nil {
			return dst, err
		}
		return append(dst, '}'), nil
	case *glua.LUserData:
		if x == s.Null {
			return append(dst, "null"...), nil
		}
	}
	return dst, fmt.Errorf("cannot encode a %s as JSON", v.Type())
}

// FromJSON converts a parsed JSON value to Lua directly: objects become
// tables in document order, arrays marked tables, null json.null (Lua nil at
// the top level).
func (s *State) FromJSON(v *fastjson.Value) glua.LValue {
	if v.Type() == fastjson.TypeNull {
		return glua.LNil
	}
	lv := s.fromJSON(v)
	if n, ok := lv.(glua.LNumber); ok && long(n) {
		s.noteJSONField(nil, nil, v, n)
	}
	return lv
}

// SetJSONField sets t[k] to the JSON value v, converted as a field of a
// document is (null is json.null), and remembers the digits of a long
// integer there (exact.go): the pipe binds record fields as globals with it.
func (s *State) SetJSONField(t *glua.LTable, k string, v *fastjson.Value) {
	t.RawSetString(k, s.JSONField(t, k, v))
}

// JSONField converts the JSON value v as SetJSONField does and remembers
// the digits of a long integer as being at t[k], without setting it there:
// the pipe passes such a value as a parameter instead of a global.
func (s *State) JSONField(t *glua.LTable, k string, v *fastjson.Value) glua.LValue {
	lv := s.fromJSON(v)
	if n, ok := lv.(glua.LNumber); ok && long(n) {
		s.noteJSONField(t, glua.LString(k), v, n)
	}
	return lv
}

// long reports whether n is at or beyond ±2^53, where integers start to
// lose digits in a float64.
func long(n glua.LNumber) bool { return n >= 1<<53 || n <= -(1<<53) }

// noteJSONField remembers the text of the JSON number v, placed at (t, k)
// as n, when it is a long integer (exact.go). Callers look only at long
// numbers.
func (s *State) noteJSONField(t *glua.LTable, k glua.LValue, v *fastjson.Value, n glua.LNumber) {
	var buf [32]byte
	if text := v.MarshalTo(buf[:0]); value.LongInteger(text) {
		s.noteExact(t, k, string(text), float64(n))
	}
}

func (s *State) fromJSON(v *fastjson.Value) glua.LValue {
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return glua.LString(b)
	case fastjson.TypeNumber:
		return jsonNumber(v)
	case fastjson.TypeTrue:
		return glua.LTrue
	case fastjson.TypeFalse:
		return glua.LFalse
	case fastjson.TypeObject:
		o, _ := v.Object()
		t := s.L.CreateTable(0, o.Len())
		o.Visit(func(k []byte, e *fastjson.Value) {
			lv := s.fromJSON(e)
			t.RawSetString(string(k), lv)
			if n, ok := lv.(glua.LNumber); ok && long(n) {
				s.noteJSONField(t, glua.LString(k), e, n)
			}
		})
		return t
	case fastjson.TypeArray:
		a, _ := v.Array()
		t := s.L.CreateTable(len(a), 0)
		for i, e := range a {
			lv := s.fromJSON(e)
			t.RawSetInt(i+1, lv)
			if n, ok := lv.(glua.LNumber); ok && long(n) {
				s.noteJSONField(t, glua.LNumber(i+1), e, n)
			}
		}
		t.Metatable = s.ArrayMT
		return t
	default:
		return s.Null
	}
}

// jsonNumber converts a JSON number to the nearest float64, as
// strconv.ParseFloat does. fastjson's own Float64 is exact for integers
// but not for every fraction or exponent (123e45 reads one unit in the
// last place off), so those go to strconv.
func jsonNumber(v *fastjson.Value) glua.LNumber {
	var buf [32]byte
	text := v.MarshalTo(buf[:0])
	if len(text) <= 19 && value.IsIntLiteral(text) {
		f, _ := v.Float64() // at most 18 digits, one rounding
		return glua.LNumber(f)
	}
	f, _ := strconv.ParseFloat(string(text), 64)
	return glua.LNumber(f)
}
