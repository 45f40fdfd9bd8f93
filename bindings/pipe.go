package bindings

import (
	_ "embed"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/clock"
	"github.com/streamctl/streamctl/lua"
)

//go:embed pipe.lua
var pipeLua []byte

// pipeModule provides the pipe operators of api.md section 7 (windows are a
// separate module). Go checks the arguments; pipe.lua keeps the per-record
// logic, so it runs inside the handler's coroutine and may wait (throttle).
type pipeModule struct {
	clock clock.Clock // dedupe and throttle read it, throttle waits on it
}

func (pipeModule) Name() string { return "pipe" }

func (m pipeModule) Open(s *lua.State) error {
	L := s.L
	chunk, err := s.Load(pipeLua, "=[pipe]")
	if err != nil {
		return err
	}
	// The operators mark lists as JSON arrays (batch, pairwise), sleep
	// (throttle) and read the clock (dedupe, throttle) with the functions
	// of the json, core and time modules.
	array, sleep, now := L.NewFunction(jsonArray(s)), sleepFunc(s, m.clock), L.NewFunction(timeNow(m.clock))
	res, err := s.CallValues(chunk, 1, array, sleep, now)
	if err != nil {
		return err
	}
	makers := res[0].(*glua.LTable)
	call := func(L *glua.LState, name string, args ...glua.LValue) int {
		L.Push(L.GetField(makers, name))
		for _, a := range args {
			L.Push(a)
		}
		L.Call(len(args), 1)
		return 1
	}
	L.SetGlobal("pipe", L.SetFuncs(L.NewTable(), map[string]glua.LGFunction{
		"map": func(L *glua.LState) int {
			return call(L, "map", lua.Args(L, "pipe.map").Func(1, "fn"))
		},
		"filter": func(L *glua.LState) int {
			return call(L, "filter", lua.Args(L, "pipe.filter").Func(1, "fn"))
		},
		"pairwise": func(L *glua.LState) int { return call(L, "pairwise") },
		"accumulate": func(L *glua.LState) int {
			a := lua.Args(L, "pipe.accumulate")
			var fn glua.LValue = glua.LNil
			if L.Get(1) != glua.LNil {
				fn = a.Func(1, "fn")
			}
			// where ("job.lua:7:") names the line that built the operator in
			// errors of the default fn, which has no script frame of its own.
			return call(L, "accumulate", fn, L.Get(2), glua.LBool(L.GetTop() >= 2 && L.Get(2) != glua.LNil), glua.LString(L.Where(1)))
		},
		"batch": func(L *glua.LState) int {
			a := lua.Args(L, "pipe.batch")
			o := a.Options(1, "size", "every")
			if !o.Has("size") && !o.Has("every") {
				a.Raise("give size, every or both")
			}
			var size, every glua.LValue = glua.LNil, glua.LNil
			if o.Has("size") {
				size = glua.LNumber(o.Int("size", 0, 1))
			}
			if o.Has("every") {
				every = glua.LNumber(o.Duration("every", 0).Seconds())
			}
			return call(L, "batch", size, every)
		},
		"dedupe": func(L *glua.LState) int {
			a := lua.Args(L, "pipe.dedupe")
			o := a.Options(1, "key", "ttl")
			var key, ttl glua.LValue = glua.LNil, glua.LNil
			if f := o.Func("key"); f != nil {
				key = f
			}
			if o.Has("ttl") {
				ttl = glua.LNumber(o.Duration("ttl", 0).Seconds())
			}
			return call(L, "dedupe", key, ttl)
		},
		"throttle": func(L *glua.LState) int {
			a := lua.Args(L, "pipe.throttle")
			o := a.Options(1, "rate")
			rate := o.Number("rate", 0)
			if rate <= 0 {
				got := lua.TypeName(o.Get("rate"))
				if o.Has("rate") {
					got = lua.FormatNumber(rate)
				}
				a.Raise("rate must be a number of records per second > 0, got %s", got)
			}
			return call(L, "throttle", glua.LNumber(rate))
		},
	}))
	return nil
}
