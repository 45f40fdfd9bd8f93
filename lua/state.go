// Package lua is streamctl's runtime: Lua states on gopher-lua, the scheduler
// that runs handlers as coroutines in one main state (and in worker states for
// workers = N), conversion between Lua values and the data model of package value, and
// errors that name the script line.
//
// gopher-lua is imported as glua; this package is "lua".
package lua

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	glua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Module is a Lua module provided by package bindings. Open installs it in
// one Lua state; it is called once for the main state and once per worker
// state, in the order of the module list.
type Module interface {
	Name() string
	Open(s *State) error
}

// State is one Lua state of a run: the main state (Worker == 0) or a worker
// state. A State and its *glua.LState belong to one goroutine at a time.
type State struct {
	L  *glua.LState
	rt *Runtime
	// Worker is 0 for the main state, 1..N for worker states, -1 for
	// standalone states (pipe workers, tests).
	Worker int

	// Null is the json.null sentinel of this state.
	Null *glua.LUserData
	// ArrayMT marks tables that are JSON arrays (json.array, decoded arrays).
	ArrayMT *glua.LTable

	topLevel    bool           // the top level of the script is running
	sharedSeq   map[string]int // per-kind call counters for Shared
	handlerSeq  int
	specs       []*HandlerSpec // handle() calls of this state, in order
	waitWrapper *glua.LFunction
	// stopMarker is the error value of a waiting call interrupted by the
	// run stopping; its Value is ErrStopped.
	stopMarker *glua.LUserData
	workerCur  *instance // worker states: the instance running now
	// exact holds the digits of long integers decoded into this state's
	// tables (exact.go).
	exact exactNumbers
	// raised is the last error value other than a string (luaError).
	raised raisedValue
	// script is the compiled script this state ran, nil for standalone
	// states (meta.go looks at the names it uses).
	script *glua.FunctionProto
}

// NewStandaloneState returns a State not attached to a run, with the given
// modules opened: used by `streamctl pipe` workers and tests.
func NewStandaloneState(mods []Module) (*State, error) {
	s := newState(nil, -1)
	if err := s.OpenModules(mods); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// OpenModules opens mods in s, in order. Then each module's global table
// (json, cache, ...) raises when a script reads a name it lacks:
// `job.lua:3: json.encod is nil (known: array, decode, encode, null)`,
// where Lua would give nil and a call of it "attempt to call a
// non-function object". Reads of names the table has cost what they did:
// __index is only consulted on a miss.
func (s *State) OpenModules(mods []Module) error {
	for _, m := range mods {
		if err := m.Open(s); err != nil {
			return fmt.Errorf("open module %s: %w", m.Name(), err)
		}
		if t, ok := s.L.GetGlobal(m.Name()).(*glua.LTable); ok && t.Metatable == glua.LNil {
			s.strictModule(m.Name(), t)
		}
	}
	return nil
}

// strictModule makes reading a missing name of the module table t an error.
func (s *State) strictModule(name string, t *glua.LTable) {
	L := s.L
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *glua.LState) int {
		key := L.Get(2)
		var known []string
		t.ForEach(func(k, _ glua.LValue) {
			if ks, ok := k.(glua.LString); ok {
				known = append(known, string(ks))
			}
		})
		slices.Sort(known)
		L.RaiseError("%s.%s is nil (known: %s)", name, L.ToStringMeta(key), strings.Join(known, ", "))
		return 0
	}))
	t.Metatable = mt
}

// stateOptions start the data stack of a Lua state (and of each of its
// coroutines, which get their own) small and let it grow: gopher-lua's
// default is a fixed 80 KB stack, allocated and cleared for every
// coroutine a run spawns (a timer tick, a hook, an HTTP request), which made
// starting one 2x slower (BenchmarkNewCoroutine). The stack grows by 4096
// slots at a time (gopher-lua grows linearly: by its default 32 slots,
// unpack of 100k values took 0.2 s) up to a limit above the default, so deep
// recursion fails later, not sooner. The call stack stays fixed:
// gopher-lua's growing one reports an overflow without the script's line.
var stateOptions = glua.Options{
	RegistrySize:     1024,
	RegistryMaxSize:  1 << 20,
	RegistryGrowStep: 4096,
}

func newState(rt *Runtime, worker int) *State {
	L := glua.NewState(stateOptions)
	useByteCase(L)
	var max int64
	if rt != nil {
		max = rt.opts.MaxValueSize
	}
	limitSizes(L, max)
	s := &State{L: L, rt: rt, Worker: worker, sharedSeq: map[string]int{}}
	s.Null = L.NewUserData()
	s.Null.Value = nullValue{}
	nmt := L.NewTable()
	L.SetField(nmt, "__tostring", L.NewFunction(func(L *glua.LState) int { L.Push(glua.LString("null")); return 1 }))
	L.SetField(nmt, "__name", glua.LString("json.null"))
	s.Null.Metatable = nmt
	s.stopMarker = L.NewUserData()
	s.stopMarker.Value = ErrStopped
	s.ArrayMT = L.NewTable()
	L.SetField(s.ArrayMT, "__name", glua.LString("json.array"))
	L.SetGlobal("error", L.NewFunction(s.luaError))
	return s
}

// luaError is Lua's error(value [, level]), which also remembers where a
// value that is not a string was raised: Lua adds "job.lua:3:" to string
// messages only, and ErrorMessage prints the position of the others.
func (s *State) luaError(L *glua.LState) int {
	obj := L.CheckAny(1)
	level := L.OptInt(2, 1)
	if _, isString := obj.(glua.LString); !isString && level > 0 {
		s.raised = raisedValue{obj, L.Where(level)}
	}
	L.Error(obj, level)
	return 0
}

// raisedValue is the last value other than a string that error() raised in
// a state, and the script position it was raised at ("job.lua:3:").
type raisedValue struct {
	v     glua.LValue
	where string
}

type nullValue struct{}

// Runtime returns the run this state belongs to, nil for standalone states.
func (s *State) Runtime() *Runtime { return s.rt }

// IsMain reports whether this is the main state of a run.
func (s *State) IsMain() bool { return s.rt != nil && s.Worker == 0 }

// TopLevel reports whether the script's top level is running (as opposed to
// handlers, hooks and timers).
func (s *State) TopLevel() bool { return s.topLevel }

// Close closes the Lua state.
func (s *State) Close() { s.L.Close() }

// Shared returns the Go object created by the n-th call of kind in this
// state's top level: the main state builds it, worker states re-running the
// top level get the main state's object for the same position (k6's init
// context; Caddy's usage pool). Outside a run, build is called every time.
func (s *State) Shared(kind string, build func() (any, error)) (any, error) {
	if s.rt == nil {
		return build()
	}
	key := kind
	if s.topLevel {
		s.sharedSeq[kind]++
		key = fmt.Sprintf("%s#%d", kind, s.sharedSeq[kind])
	} else {
		// Created inside a handler or hook: not shared by position.
		return build()
	}
	return s.rt.shared(key, s.Worker == 0, build)
}

// Load compiles a chunk, its concatenations guarded by the size limit
// (GuardConcat). Compile errors are *exitcode.Error with code 2 and read
// "job.lua:3: syntax error near 'end'".
func (s *State) Load(src []byte, name string) (*glua.LFunction, error) {
	// What glua.LState.Load does, with GuardConcat between parsing and
	// compiling; its errors read the same (CompileError).
	var proto *glua.FunctionProto
	chunk, err := parse.Parse(bytes.NewReader(src), name)
	if err == nil {
		proto, err = glua.Compile(GuardConcat(chunk), name)
	}
	if err != nil {
		lines := strings.Count(string(src), "\n")
		if len(src) > 0 && src[len(src)-1] != '\n' {
			lines++
		}
		return nil, CompileError(err, lines)
	}
	return s.L.NewFunctionFromProto(proto), nil
}

// CallValues calls fn directly (no coroutine) with args and returns its
// results. A Lua error is returned as an error whose message names file:line.
func (s *State) CallValues(fn glua.LValue, nret int, args ...glua.LValue) ([]glua.LValue, error) {
	L := s.L
	top := L.GetTop()
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	if err := L.PCall(len(args), nret, nil); err != nil {
		L.SetTop(top)
		return nil, s.scriptError(err)
	}
	n := L.GetTop() - top
	out := make([]glua.LValue, n)
	for i := 0; i < n; i++ {
		out[i] = L.Get(top + 1 + i)
	}
	L.SetTop(top)
	return out, nil
}

// ScriptError is a Lua runtime error: Msg already names "file:line". When
// the value raised was an error value (a Go error a binding raised, see
// goError), Err is that Go error: errors.As and exitcode.Of find it (75 when
// a cache is held by another process); otherwise the exit code is 1.
type ScriptError struct {
	Msg string
	Err error
}

func (e *ScriptError) Error() string { return e.Msg }

// Unwrap returns the Go error the script raised, or nil.
func (e *ScriptError) Unwrap() error { return e.Err }

// raise raises the error again in L: as the error value it was, or as its
// message, already positioned.
func (e *ScriptError) raise(L *glua.LState) { raiseError(L, e.Msg, e.Err) }

// scriptName is the script's name for messages ("job.lua").
func (s *State) scriptName() string {
	if s.rt != nil {
		return s.rt.opts.Script
	}
	return "script"
}

// scriptError converts a Lua error to a *ScriptError, or to ErrStopped when
// a waiting call was interrupted by the run stopping.
func (s *State) scriptError(err error) error {
	var ae *glua.ApiError
	if errors.As(err, &ae) {
		if ae.Object == s.stopMarker {
			return ErrStopped
		}
		if ud, ok := ae.Object.(*glua.LUserData); ok {
			if ge, ok := ud.Value.(*goError); ok {
				return &ScriptError{Msg: ge.msg, Err: ge.err}
			}
		}
	}
	return &ScriptError{Msg: s.ErrorMessage(err)}
}

// ErrorMessage returns the message of a Lua error raised in s, as the
// package's ErrorMessage does, and for a value other than a string raised
// by error() (error({code = 7})) its position and a readable form: the
// table's __tostring, else its "message" or "msg" string field, else the
// table as compact JSON, else what tostring gives: `job.lua:3: {"code":7}`.
// An error value holding a Go error (goError) gives its message.
func (s *State) ErrorMessage(err error) string {
	var ae *glua.ApiError
	if !errors.As(err, &ae) || ae.Object == nil {
		return ErrorMessage(err)
	}
	if _, isString := ae.Object.(glua.LString); isString {
		return ErrorMessage(err)
	}
	if ud, ok := ae.Object.(*glua.LUserData); ok {
		if _, isErr := ud.Value.(error); isErr {
			return ErrorMessage(err) // a Go error a binding raised
		}
	}
	text := s.valueText(ae.Object)
	if s.raised.v == ae.Object && s.raised.where != "" {
		return s.raised.where + " " + text
	}
	return text
}

// valueText is ErrorMessage's readable form of an error value.
func (s *State) valueText(v glua.LValue) string {
	if mt, ok := s.L.GetMetaField(v, "__tostring").(*glua.LFunction); ok {
		if out, err := s.CallValues(mt, 1, v); err == nil {
			if str, ok := out[0].(glua.LString); ok {
				return string(str)
			}
		}
	}
	t, ok := v.(*glua.LTable)
	if !ok {
		return v.String()
	}
	for _, field := range []string{"message", "msg"} {
		if m, ok := t.RawGetString(field).(glua.LString); ok {
			return string(m)
		}
	}
	if b, err := s.AppendJSON(nil, t); err == nil {
		return string(b)
	}
	return v.String()
}

// Interruptible reports whether a waiting call made in L should end early
// when the run stops: true everywhere except in on_stop hooks, which run
// while the run drains.
func (s *State) Interruptible(L *glua.LState) bool {
	if s.IsMain() {
		if t := s.rt.sch.tasks[L]; t != nil {
			return !t.noInterrupt
		}
	}
	return true
}
