package lua

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/exitcode"
)

// ArgChecker checks the arguments of a Lua call and raises errors that name
// the function, the argument and the type: "cache.open: name must be a
// string, got nil". gopher-lua prefixes the script position.
type ArgChecker struct {
	L     *glua.LState
	fn    string
	level int
	where string // ArgsAt: the script position errors name
}

// Args returns an ArgChecker for the function named fn ("cache.open").
func Args(L *glua.LState, fn string) *ArgChecker { return &ArgChecker{L: L, fn: fn, level: 1} }

// WaitArgs is Args for the Go body of a WaitingFunc: errors name the line
// of the script that called the waiting function, not the wrapper's.
func WaitArgs(L *glua.LState, fn string) *ArgChecker { return &ArgChecker{L: L, fn: fn, level: 3} }

// ArgsAt is Args for a Go function that streamctl's own Lua code calls on
// behalf of a line of the script (a pipe operator's push): errors name
// where, that line's position as L.Where gives it ("job.lua:3:").
func ArgsAt(L *glua.LState, fn, where string) *ArgChecker {
	return &ArgChecker{L: L, fn: fn, level: 1, where: where}
}

// Raise raises "fn: message".
func (a *ArgChecker) Raise(format string, args ...any) {
	a.raise(a.fn+": "+fmt.Sprintf(format, args...), a.level)
}

// raise raises msg at level, or at the ArgsAt position.
func (a *ArgChecker) raise(msg string, level int) {
	if a.where != "" {
		a.L.Error(glua.LString(a.where+" "+msg), 0)
	}
	a.L.Error(glua.LString(msg), level)
}

// Check raises "fn: err" when err is not nil; the prefix is not repeated
// when err already starts with it ("timer: every must be > 0").
func (a *ArgChecker) Check(err error) {
	if err == nil {
		return
	}
	var se *ScriptError
	if errors.As(err, &se) {
		// A Lua error from a callback (c:update's fn) names its own line;
		// an error value stays one.
		se.raise(a.L)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, a.fn+": ") && !strings.HasPrefix(msg, a.fn+" ") {
		msg = a.fn + ": " + msg
	}
	var ec exitcode.Coder
	if errors.As(err, &ec) && ec.ExitCode() != exitcode.Runtime {
		// Keep the exit code (75 for a locked cache) across the Lua error:
		// raise an error value holding err (see goError), positioned as
		// raise positions a message.
		where := a.where
		if where == "" {
			where = scriptWhere(a.L, a.level-1)
		}
		raiseError(a.L, where+" "+msg, err)
	}
	a.raise(msg, a.level)
}

// scriptWhere is the position ("job.lua:12:") of the function at level of
// L's call stack or, when that is a Go function (pcall), of the first Lua
// function below it: the position L.Error gives a message raised at level+1.
func scriptWhere(L *glua.LState, level int) string {
	for ; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			return ""
		}
		if fn, err := L.GetInfo("f", dbg, glua.LNil); err == nil {
			if f, ok := fn.(*glua.LFunction); ok && f.IsG {
				continue
			}
		}
		return L.Where(level)
	}
}

func (a *ArgChecker) typeError(name, want string, got glua.LValue) {
	a.Raise("%s must be %s, got %s", name, want, TypeName(got))
}

// TypeName names the type of a Lua value for error messages; strings are
// shown with their value when short ("string \"x\"") to help find typos.
func TypeName(v glua.LValue) string {
	switch x := v.(type) {
	case glua.LString:
		if len(x) <= 20 {
			return fmt.Sprintf("string %q", string(x))
		}
	case *glua.LUserData:
		if mt, ok := x.Metatable.(*glua.LTable); ok {
			if n, ok := mt.RawGetString("__name").(glua.LString); ok {
				return string(n)
			}
		}
	}
	return v.Type().String()
}

// String returns argument i as a string (numbers are not converted).
func (a *ArgChecker) String(i int, name string) string {
	v := a.L.Get(i)
	s, ok := v.(glua.LString)
	if !ok {
		a.typeError(name, "a string", v)
	}
	return string(s)
}

// OptString returns argument i as a string, or def when it is nil or absent.
func (a *ArgChecker) OptString(i int, name, def string) string {
	if a.L.Get(i) == glua.LNil {
		return def
	}
	return a.String(i, name)
}

// Number returns argument i as a number.
func (a *ArgChecker) Number(i int, name string) float64 {
	v := a.L.Get(i)
	n, ok := v.(glua.LNumber)
	if !ok {
		a.typeError(name, "a number", v)
	}
	return float64(n)
}

// Func returns argument i as a function.
func (a *ArgChecker) Func(i int, name string) *glua.LFunction {
	v := a.L.Get(i)
	f, ok := v.(*glua.LFunction)
	if !ok {
		a.typeError(name, "a function", v)
	}
	return f
}

// Table returns argument i as a table.
func (a *ArgChecker) Table(i int, name string) *glua.LTable {
	v := a.L.Get(i)
	t, ok := v.(*glua.LTable)
	if !ok {
		a.typeError(name, "a table", v)
	}
	return t
}

// Duration returns argument i as a duration: a number of seconds or a string
// like "500ms" or "1h30m".
func (a *ArgChecker) Duration(i int, name string) time.Duration {
	d, err := ToDuration(a.L.Get(i))
	if err != nil {
		a.Raise("%s %v", name, err)
	}
	return d
}

// ToDuration converts a number of seconds or a Go duration string.
func ToDuration(v glua.LValue) (time.Duration, error) {
	switch x := v.(type) {
	case glua.LNumber:
		if x < 0 {
			return 0, fmt.Errorf("must not be negative, got %v", FormatNumber(float64(x)))
		}
		return time.Duration(float64(x) * float64(time.Second)), nil
	case glua.LString:
		d, err := time.ParseDuration(string(x))
		if err != nil {
			if f, err2 := strconv.ParseFloat(string(x), 64); err2 == nil && f >= 0 {
				return time.Duration(f * float64(time.Second)), nil
			}
			return 0, fmt.Errorf("must be a duration like \"500ms\" or a number of seconds, got %q", string(x))
		}
		if d < 0 {
			return 0, fmt.Errorf("must not be negative, got %q", string(x))
		}
		return d, nil
	}
	return 0, fmt.Errorf("must be a duration like \"500ms\" or a number of seconds, got %s", TypeName(v))
}

// Options returns argument i as an options table (nil or absent gives an
// empty one). Unknown keys raise "fn: unknown option \"tll\" (known: ...)".
func (a *ArgChecker) Options(i int, known ...string) *OptionTable {
	v := a.L.Get(i)
	var t *glua.LTable
	switch x := v.(type) {
	case *glua.LNilType:
		// The common case (c:put(k, v)) allocates nothing: one empty
		// table, only ever read, serves every call.
		return &OptionTable{a: a, T: noOptions}
	case *glua.LTable:
		t = x
	default:
		a.typeError("options", "a table", v)
	}
	return a.CheckOptions(t, known...)
}

// noOptions is the options table of an absent argument; never written.
var noOptions = &glua.LTable{Metatable: glua.LNil}

// CheckOptions wraps t as Options after checking its keys against known.
func (a *ArgChecker) CheckOptions(t *glua.LTable, known ...string) *OptionTable {
	set := make(map[string]bool, len(known))
	for _, k := range known {
		set[k] = true
	}
	ForEachOrdered(t, func(k, _ glua.LValue) {
		ks, ok := k.(glua.LString)
		if !ok {
			return // positional entries are read by the caller
		}
		if !set[string(ks)] {
			sorted := append([]string(nil), known...)
			sort.Strings(sorted)
			a.Raise("unknown option %q (known: %s)", string(ks), strings.Join(sorted, ", "))
		}
	})
	return &OptionTable{a: a, T: t}
}

// OptionTable reads fields of a checked option table, raising on wrong types.
type OptionTable struct {
	a *ArgChecker
	T *glua.LTable
}

// Has reports whether key is set.
func (o *OptionTable) Has(key string) bool { return o.T.RawGetString(key) != glua.LNil }

// Get returns the raw value at key.
func (o *OptionTable) Get(key string) glua.LValue { return o.T.RawGetString(key) }

// String returns the string at key or def.
func (o *OptionTable) String(key, def string) string {
	v := o.T.RawGetString(key)
	if v == glua.LNil {
		return def
	}
	s, ok := v.(glua.LString)
	if !ok {
		o.a.typeError(key, "a string", v)
	}
	return string(s)
}

// Enum returns the string at key (or def), which must be one of choices.
func (o *OptionTable) Enum(key, def string, choices ...string) string {
	s := o.String(key, def)
	for _, c := range choices {
		if s == c {
			return s
		}
	}
	quoted := make([]string, len(choices))
	for i, c := range choices {
		quoted[i] = strconv.Quote(c)
	}
	list := strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
	o.a.Raise("%s must be %s, got %q", key, list, s)
	return ""
}

// Bool returns the boolean at key or def.
func (o *OptionTable) Bool(key string, def bool) bool {
	v := o.T.RawGetString(key)
	if v == glua.LNil {
		return def
	}
	b, ok := v.(glua.LBool)
	if !ok {
		o.a.typeError(key, "a boolean", v)
	}
	return bool(b)
}

// Number returns the number at key or def.
func (o *OptionTable) Number(key string, def float64) float64 {
	v := o.T.RawGetString(key)
	if v == glua.LNil {
		return def
	}
	n, ok := v.(glua.LNumber)
	if !ok {
		o.a.typeError(key, "a number", v)
	}
	return float64(n)
}

// Int returns the integer at key or def; it must be >= min.
func (o *OptionTable) Int(key string, def, min int) int {
	f := o.Number(key, float64(def))
	if f != float64(int(f)) || int(f) < min {
		o.a.Raise("%s must be an integer >= %d, got %s", key, min, FormatNumber(f))
	}
	return int(f)
}

// Duration returns the duration at key or def.
func (o *OptionTable) Duration(key string, def time.Duration) time.Duration {
	v := o.T.RawGetString(key)
	if v == glua.LNil {
		return def
	}
	d, err := ToDuration(v)
	if err != nil {
		o.a.Raise("%s %v", key, err)
	}
	return d
}

// Func returns the function at key or nil.
func (o *OptionTable) Func(key string) *glua.LFunction {
	v := o.T.RawGetString(key)
	if v == glua.LNil {
		return nil
	}
	f, ok := v.(*glua.LFunction)
	if !ok {
		o.a.typeError(key, "a function", v)
	}
	return f
}

// Table returns the table at key or nil.
func (o *OptionTable) Table(key string) *glua.LTable {
	v := o.T.RawGetString(key)
	if v == glua.LNil {
		return nil
	}
	t, ok := v.(*glua.LTable)
	if !ok {
		o.a.typeError(key, "a table", v)
	}
	return t
}
