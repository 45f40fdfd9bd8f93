// Package lua is streamctl's runtime: Lua states on gopher-lua, the scheduler
// that runs handlers as coroutines in one main state (and in worker states for
// workers = N), conversion between Lua values and the codec data model, and
// errors that name the script line.
//
// gopher-lua is imported as glua; this package is "lua".
package lua

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"

	glua "github.com/yuin/gopher-lua"
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
	mu         sync.Mutex // guards nothing Lua; used by Values
	values     map[string]any
	workerCur  *instance // worker states: the instance running now
	// exact holds the digits of long integers decoded into this state's
	// tables (exact.go).
	exact exactNumbers
}

// NewStandaloneState returns a State not attached to a run, with the given
// modules opened: used by `streamctl pipe` workers and tests.
func NewStandaloneState(mods []Module) (*State, error) {
	s := newState(nil, -1)
	for _, m := range mods {
		if err := m.Open(s); err != nil {
			s.Close()
			return nil, fmt.Errorf("open module %s: %w", m.Name(), err)
		}
	}
	return s, nil
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
	s := &State{L: L, rt: rt, Worker: worker, sharedSeq: map[string]int{}, values: map[string]any{}}
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
	return s
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

// Value returns a per-state value stored by a binding under key.
func (s *State) Value(key string) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.values[key]
}

// SetValue stores a per-state value for bindings (e.g. a module's table).
func (s *State) SetValue(key string, v any) {
	s.mu.Lock()
	s.values[key] = v
	s.mu.Unlock()
}

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

// Load compiles a chunk. Compile errors are *ExitError with code 2 and read
// "job.lua:3: syntax error near 'end'".
func (s *State) Load(src []byte, name string) (*glua.LFunction, error) {
	fn, err := s.L.Load(bytes.NewReader(src), name)
	if err != nil {
		lines := strings.Count(string(src), "\n")
		if len(src) > 0 && src[len(src)-1] != '\n' {
			lines++
		}
		return nil, compileError(err, lines)
	}
	return fn, nil
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

// ScriptError is a Lua runtime error: Msg already names "file:line".
type ScriptError struct{ Msg string }

func (e *ScriptError) Error() string { return e.Msg }

// ExitCode is 1, or the code of the Go error a binding raised (75 when a
// cache is held by another process).
func (e *ScriptError) ExitCode() int {
	if code, ok := exitCodes.Load(e.Msg); ok {
		return code.(int)
	}
	return ExitRuntime
}

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
	if errors.As(err, &ae) && ae.Object == s.stopMarker {
		return ErrStopped
	}
	return &ScriptError{Msg: luaErrorMessage(err)}
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
