package lua

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/value"
)

// maxDepth bounds nesting when converting Lua tables, so a cycle is an error
// instead of a stack overflow.
const maxDepth = 200

// ErrNotConvertible is wrapped by FromLua errors for values that have no
// record representation (functions, coroutines, userdata, cycles).
var ErrNotConvertible = errors.New("value cannot be a record")

// ToLua converts a Go value of the data model (package value) to a Lua value. A nil at
// the top level is Lua nil; nil inside a table is json.null. Arrays get the
// array mark so they encode back as arrays, even when empty.
func (s *State) ToLua(v any) glua.LValue {
	if v == nil {
		return glua.LNil
	}
	lv := s.toLua(v)
	if _, ok := lv.(glua.LNumber); ok {
		s.noteGoNumber(nil, nil, v)
	}
	return lv
}

// SetField sets t[k] to the Go value v, converted as ToLua converts a value
// inside a table (nil is json.null), and remembers the digits of a long
// integer there (exact.go).
func (s *State) SetField(t *glua.LTable, k string, v any) {
	t.RawSetString(k, s.toLua(v))
	if mayBeExact(v) {
		s.noteGoNumber(t, glua.LString(k), v)
	}
}

func (s *State) toLua(v any) glua.LValue {
	switch x := v.(type) {
	case nil:
		return s.Null
	case bool:
		return glua.LBool(x)
	case int64:
		return glua.LNumber(x)
	case int:
		return glua.LNumber(x)
	case int32:
		return glua.LNumber(x)
	case uint64:
		return glua.LNumber(x)
	case float64:
		return glua.LNumber(x)
	case float32:
		return glua.LNumber(x)
	case value.Number:
		return glua.LNumber(x.Float64())
	case string:
		return glua.LString(x)
	case []byte:
		return glua.LString(x)
	case value.Object:
		t := s.L.CreateTable(0, len(x))
		for _, m := range x {
			t.RawSetString(m.Key, s.toLua(m.Value))
			if mayBeExact(m.Value) {
				s.noteGoNumber(t, glua.LString(m.Key), m.Value)
			}
		}
		return t
	case value.Table:
		t := s.L.CreateTable(0, len(x))
		for _, e := range x {
			k := s.toLua(e.Key)
			t.RawSet(k, s.toLua(e.Value))
			if mayBeExact(e.Value) {
				s.noteGoNumber(t, k, e.Value)
			}
		}
		return t
	case map[string]any:
		t := s.L.CreateTable(0, len(x))
		for _, k := range sortedKeys(x) {
			t.RawSetString(k, s.toLua(x[k]))
			if mayBeExact(x[k]) {
				s.noteGoNumber(t, glua.LString(k), x[k])
			}
		}
		return t
	case []any:
		t := s.L.CreateTable(len(x), 0)
		for i, e := range x {
			t.RawSetInt(i+1, s.toLua(e))
			if mayBeExact(e) {
				s.noteGoNumber(t, glua.LNumber(i+1), e)
			}
		}
		t.Metatable = s.ArrayMT
		return t
	case glua.LValue:
		return x
	default:
		return glua.LString(fmt.Sprint(x))
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// FromLua converts a Lua value to the data model (package value): nil and
// json.null to nil, numbers with an integral value to int64 (others to
// float64), tables marked as arrays or with keys 1..n to []any, tables with
// string keys to value.Object and other tables to value.Table, in insertion
// order; an empty unmarked table to an empty Object. Functions, threads,
// other userdata and cycles are errors.
func (s *State) FromLua(v glua.LValue) (any, error) {
	return s.fromLuaField(nil, nil, v, 0) // the record's own place
}

// fromLuaField converts the value at key k of table t (t nil: the record
// itself), a long integer decoded there (exact.go) to its text as a
// value.Number.
func (s *State) fromLuaField(t *glua.LTable, k, v glua.LValue, depth int) (any, error) {
	if n, ok := v.(glua.LNumber); ok {
		if text, ok := s.exactText(t, k, n); ok {
			return value.Number(text), nil
		}
	}
	return s.fromLua(v, depth)
}

func (s *State) fromLua(v glua.LValue, depth int) (any, error) {
	switch x := v.(type) {
	case *glua.LNilType:
		return nil, nil
	case glua.LBool:
		return bool(x), nil
	case glua.LNumber:
		return NumberValue(float64(x)), nil
	case glua.LString:
		return string(x), nil
	case *glua.LTable:
		if depth >= maxDepth {
			return nil, fmt.Errorf("table nested more than %d levels (a cycle?): %w", maxDepth, ErrNotConvertible)
		}
		if n, ok := s.arrayLen(x); ok {
			out := make([]any, n)
			for i := 0; i < n; i++ {
				e, err := s.fromLuaField(x, glua.LNumber(i+1), x.RawGetInt(i+1), depth+1)
				if err != nil {
					return nil, err
				}
				out[i] = e
			}
			return out, nil
		}
		obj := make(value.Object, 0, 8)
		var tbl value.Table // set when a key is not a string
		// The order pairs() gives, as ForEachOrdered, without a closure.
		for k, val := x.Next(glua.LNil); k != glua.LNil; k, val = x.Next(k) {
			e, err := s.fromLuaField(x, k, val, depth+1)
			if err != nil {
				return nil, err
			}
			if ks, ok := k.(glua.LString); ok && tbl == nil {
				obj = append(obj, value.Member{Key: string(ks), Value: e})
				continue
			}
			if tbl == nil {
				tbl = make(value.Table, len(obj), len(obj)+8)
				for i, m := range obj {
					tbl[i] = value.Entry{Key: m.Key, Value: m.Value}
				}
			}
			var key any
			switch kk := k.(type) {
			case glua.LString:
				key = string(kk)
			case glua.LNumber:
				key = NumberValue(float64(kk))
			case glua.LBool:
				key = bool(kk)
			default:
				return nil, fmt.Errorf("table key of type %s: %w", k.Type(), ErrNotConvertible)
			}
			tbl = append(tbl, value.Entry{Key: key, Value: e})
		}
		if tbl != nil {
			return tbl, nil
		}
		return obj, nil
	case *glua.LUserData:
		if x == s.Null {
			return nil, nil
		}
		return nil, fmt.Errorf("userdata: %w", ErrNotConvertible)
	default:
		return nil, fmt.Errorf("%s: %w", v.Type(), ErrNotConvertible)
	}
}

// arrayLen reports whether t is an array: marked with ArrayMT, or non-empty
// with exactly the keys 1..n.
func (s *State) arrayLen(t *glua.LTable) (int, bool) {
	n := t.Len()
	if t.Metatable == s.ArrayMT {
		return n, true
	}
	if n == 0 {
		return 0, false
	}
	// Keys 1..n and nothing else: every index holds a value (Len finds the
	// last one, there may be holes before it), and no key follows n in
	// pairs() order (the array part comes first).
	for i := 1; i < n; i++ {
		if t.RawGetInt(i) == glua.LNil {
			return n, false
		}
	}
	k, _ := t.Next(glua.LNumber(n))
	return n, k == glua.LNil
}

// NumberValue returns f as int64 when it is integral and fits (not -0),
// else as float64: Lua numbers are float64 in gopher-lua.
func NumberValue(f float64) any {
	if f == math.Trunc(f) && f >= -9.223372036854775e18 && f < 9.223372036854775e18 && !(f == 0 && math.Signbit(f)) {
		return int64(f)
	}
	return f
}

// FormatNumber formats a Lua number as gopher-lua's tostring does (and the
// text codec): integral values without a decimal point, others in Go's
// shortest round-trip form.
func FormatNumber(f float64) string {
	return string(AppendNumber(nil, f))
}

// AppendNumber appends FormatNumber(f) to dst.
func AppendNumber(dst []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return strconv.AppendInt(dst, int64(f), 10)
	}
	b, err := codec.AppendText(dst, f)
	if err != nil {
		return strconv.AppendFloat(dst, f, 'g', -1, 64)
	}
	return b
}

// ForEachOrdered calls fn for each key/value of t in the order pairs() gives:
// the array part, then other keys in insertion order. (LTable.ForEach walks a
// Go map, whose order is random.)
func ForEachOrdered(t *glua.LTable, fn func(k, v glua.LValue)) {
	k, v := t.Next(glua.LNil)
	for k != glua.LNil {
		fn(k, v)
		k, v = t.Next(k)
	}
}

// ValueWriter receives a value of the data model piece by piece, depth
// first (state.ValueBuilder is one): arrays and objects are opened, filled
// (an object's members as Key, then the value) and closed with their count.
type ValueWriter interface {
	Null()
	Bool(bool)
	Int(int64)
	Float(float64)
	String(string)
	Open(object bool) (mark int)
	Key(string)
	Close(mark, n int)
}

// WriteValue writes v to w as FromLua converts it, without building the Go
// value, and reports true. It covers nil, json.null, booleans, numbers,
// strings, arrays and tables with string keys; for anything else (a table
// with other keys, a long integer's digits, a value FromLua rejects) it
// reports false, w holding part of v: the caller starts over with FromLua,
// which also gives the error.
func (s *State) WriteValue(v glua.LValue, w ValueWriter) bool {
	return s.writeField(nil, nil, v, w, 0)
}

func (s *State) writeField(t *glua.LTable, k, v glua.LValue, w ValueWriter, depth int) bool {
	switch x := v.(type) {
	case *glua.LNilType:
		w.Null()
	case glua.LBool:
		w.Bool(bool(x))
	case glua.LNumber:
		if _, ok := s.exactText(t, k, x); ok {
			return false
		}
		switch n := NumberValue(float64(x)).(type) {
		case int64:
			w.Int(n)
		default:
			w.Float(float64(x))
		}
	case glua.LString:
		w.String(string(x))
	case *glua.LTable:
		if depth >= maxDepth {
			return false
		}
		if n, ok := s.arrayLen(x); ok {
			mark := w.Open(false)
			for i := 1; i <= n; i++ {
				e := x.RawGetInt(i)
				var k glua.LValue // only a number's place is looked up (exactText)
				if _, ok := e.(glua.LNumber); ok {
					k = glua.LNumber(i)
				}
				if !s.writeField(x, k, e, w, depth+1) {
					return false
				}
			}
			w.Close(mark, n)
			return true
		}
		mark, n := w.Open(true), 0
		for key, val := x.Next(glua.LNil); key != glua.LNil; key, val = x.Next(key) {
			ks, ok := key.(glua.LString)
			if !ok {
				return false
			}
			w.Key(string(ks))
			if !s.writeField(x, key, val, w, depth+1) {
				return false
			}
			n++
		}
		w.Close(mark, n)
	case *glua.LUserData:
		if x != s.Null {
			return false
		}
		w.Null()
	default:
		return false
	}
	return true
}
