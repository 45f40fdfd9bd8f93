package bindings

import (
	"context"
	"strings"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/clock"
	"github.com/streamctl/streamctl/lua"
)

// coreModule installs the global functions of a script: handle, emit, stop,
// on_start, on_stop, sleep, env, print and the args table.
type coreModule struct {
	set        [][2]string // --set k=v: args.k
	positional []string    // after "--": args[1..n]
	clock      clock.Clock // sleep waits on it
}

func (*coreModule) Name() string { return "core" }

func (m *coreModule) Open(s *lua.State) error {
	L := s.L
	funcs := map[string]glua.LGFunction{
		"handle": func(L *glua.LState) int { return handle(s, L) },
		"emit":   func(L *glua.LState) int { s.Emit(L, L.Get(1), L.Get(2)); return 0 },
		"stop":   func(L *glua.LState) int { return stop(s, L) },
		"on_start": func(L *glua.LState) int {
			a := lua.Args(L, "on_start")
			a.Check(s.OnStart(a.Func(1, "fn")))
			return 0
		},
		"on_stop": func(L *glua.LState) int {
			a := lua.Args(L, "on_stop")
			a.Check(s.OnStop(a.Func(1, "fn")))
			return 0
		},
		"env":   func(L *glua.LState) int { return env(s, L) },
		"print": func(L *glua.LState) int { return luaPrint(s, L) },
	}
	for name, fn := range funcs {
		L.SetGlobal(name, L.NewFunction(fn))
	}
	L.SetGlobal("sleep", sleepFunc(s, m.clock))
	args := L.NewTable()
	for _, kv := range m.set {
		args.RawSetString(kv[0], glua.LString(kv[1]))
	}
	for i, a := range m.positional {
		args.RawSetInt(i+1, glua.LString(a))
	}
	L.SetGlobal("args", args)
	return nil
}

// handle(source, [opts,] fn)
func handle(s *lua.State, L *glua.LState) int {
	a := lua.Args(L, "handle")
	if s.Runtime() == nil {
		a.Raise("not available here")
	}
	spec := &lua.HandlerSpec{}
	src := L.Get(1)
	ud, ok := src.(*glua.LUserData)
	var prov lua.SourceProvider
	if ok {
		prov, ok = ud.Value.(lua.SourceProvider)
	}
	if !ok {
		a.Raise("source must be a source such as stdin() or timer{every=1}, got %s", lua.TypeName(src))
	}
	fnIdx := 2
	if L.Get(2).Type() == glua.LTTable {
		fnIdx = 3
		o := a.Options(2, "name", "sink", "pipe", "workers", "key", "on_error", "commit_interval", "timeout", "retries", "retry_backoff")
		spec.Name = o.String("name", "")
		if o.Has("timeout") {
			// 0 turns off the job's default (run --timeout).
			if spec.Timeout = o.Duration("timeout", 0); spec.Timeout < 0 {
				a.Raise("timeout must be >= 0")
			} else if spec.Timeout == 0 {
				spec.Timeout = -1
			}
		}
		if o.Has("commit_interval") {
			if spec.CommitInterval = o.Duration("commit_interval", 0); spec.CommitInterval <= 0 {
				a.Raise("commit_interval must be > 0")
			}
		}
		spec.Retries = o.Int("retries", 0, 0)
		if o.Has("retry_backoff") {
			if spec.RetryBackoff = o.Duration("retry_backoff", 0); spec.RetryBackoff <= 0 {
				a.Raise("retry_backoff must be > 0")
			}
		}
		spec.Workers = o.Int("workers", 1, 1)
		spec.Key = o.Func("key")
		if v := o.Get("sink"); v != glua.LNil {
			if ref, ok, err := s.SinkRefOf(v); ok {
				a.Check(err)
				spec.Sinks = []lua.SinkRef{ref}
			} else if t, isTable := v.(*glua.LTable); isTable {
				n := t.Len()
				for i := 1; i <= n; i++ {
					ref, ok, err := s.SinkRefOf(t.RawGetInt(i))
					if !ok {
						a.Raise("sink[%d] must be a sink or a function, got %s", i, lua.TypeName(t.RawGetInt(i)))
					}
					a.Check(err)
					spec.Sinks = append(spec.Sinks, ref)
				}
			} else {
				a.Raise("sink must be a sink, a function or a list of them, got %s", lua.TypeName(v))
			}
		}
		if t := o.Table("pipe"); t != nil {
			n := t.Len()
			for i := 1; i <= n; i++ {
				op, ok := t.RawGetInt(i).(*glua.LTable)
				if !ok || op.RawGetString("push").Type() != glua.LTFunction {
					a.Raise("pipe[%d] must be a pipe operator such as pipe.map(fn), got %s", i, lua.TypeName(t.RawGetInt(i)))
				}
				spec.Operators = append(spec.Operators, op)
			}
		}
		switch v := o.Get("on_error").(type) {
		case *glua.LNilType:
		case glua.LString:
			spec.OnError = o.Enum("on_error", "stop", "stop", "skip")
		default:
			ref, ok, err := s.SinkRefOf(v)
			if !ok {
				a.Raise(`on_error must be "stop", "skip" or a sink, got %s`, lua.TypeName(v))
			}
			a.Check(err)
			spec.OnError = lua.OnErrorSink
			spec.ErrSink = &ref
			if ud, ok := v.(*glua.LUserData); ok {
				// A Kafka topic gets the record as it came, the error in
				// its headers (Kafka Streams' dead-letter queue).
				_, spec.DeadLetterHeaders = ud.Value.(*luaTopic)
			}
		}
	}
	spec.Fn = a.Func(fnIdx, "handler")
	source, decode, err := prov.LuaSource(s)
	a.Check(err)
	spec.Source, spec.Decode = source, decode
	a.Check(routeExactlyOnce(s, spec))
	a.Check(s.Handle(spec))
	return 0
}

func stop(s *lua.State, L *glua.LState) int {
	if rt := s.Runtime(); rt != nil && !(s.Worker > 0 && s.TopLevel()) {
		rt.Stop()
	}
	return 0
}

func env(s *lua.State, L *glua.LState) int {
	a := lua.Args(L, "env")
	name := a.String(1, "name")
	lookup := func(n string) (string, bool) { return "", false }
	if rt := s.Runtime(); rt != nil {
		lookup = rt.Getenv
	}
	if v, ok := lookup(name); ok {
		L.Push(glua.LString(v))
	} else {
		L.Push(L.Get(2))
	}
	return 1
}

// sleepFunc makes sleep(d) for state s: a waiting call. The pipe module's
// throttle waits with it too.
func sleepFunc(s *lua.State, clk clock.Clock) *glua.LFunction {
	return s.WaitingFunc(func(L *glua.LState) int { return sleep(s, L, clk) })
}

func sleep(s *lua.State, L *glua.LState, clk clock.Clock) int {
	d := lua.WaitArgs(L, "sleep").Duration(1, "duration")
	// Await cancels ctx when the run stops (except in on_stop hooks) and
	// turns that into an unwind of the sleeping coroutine.
	return s.Await(L, func(ctx context.Context) (lua.Results, error) {
		if d <= 0 {
			return nil, nil
		}
		return nil, clk.Sleep(ctx, d)
	})
}

// print writes its arguments, tab-separated, as one line to stdout through
// the run's output buffer, so it keeps its place among handler outputs.
func luaPrint(s *lua.State, L *glua.LState) int {
	var b strings.Builder
	for i := 1; i <= L.GetTop(); i++ {
		if i > 1 {
			b.WriteByte('\t')
		}
		b.WriteString(L.ToStringMeta(L.Get(i)).String())
	}
	rt := s.Runtime()
	if rt == nil {
		return 0
	}
	if s.Worker > 0 && s.TopLevel() {
		return 0 // worker states re-run the top level silently
	}
	if err := s.WriteStdout(glua.LString(b.String())); err != nil {
		L.RaiseError("print: %v", err)
	}
	return 0
}
