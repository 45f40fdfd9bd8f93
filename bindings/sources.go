package bindings

import (
	"context"
	"fmt"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/clock"
	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/lua"
)

const endpointType = "streamctl.endpoint"

// endpoint is the Go value behind stdin{}, file{}, timer{}, exec{},
// iterate(...), stdout{} and stderr{}: a source, a sink, or both (file{}).
// It is shared by every Lua state of a run (lua.State.Shared); the Lua
// codec functions of each state are in its endpointRef.
type endpoint struct {
	kind     string
	source   connectors.Source
	openSink func() (connectors.Sink, error) // nil: not a sink
	sink     connectors.Sink                 // opened on first use as a sink
}

// endpointRef is the value of an endpoint's userdata in one Lua state: the
// shared endpoint and that state's Lua codec, if any.
type endpointRef struct {
	e  *endpoint
	lc *luaCodec
}

// LuaSource implements lua.SourceProvider.
func (r *endpointRef) LuaSource(s *lua.State) (connectors.Source, *glua.LFunction, error) {
	e := r.e
	if e.source == nil {
		return nil, nil, fmt.Errorf("%s is a sink, not a source", e.kind)
	}
	var decode *glua.LFunction
	if lc := r.lc; lc != nil {
		if lc.decode == nil {
			return nil, nil, fmt.Errorf("%s: the codec table has no decode function", e.kind)
		}
		decode = lc.decode
	}
	return e.source, decode, nil
}

// LuaSink implements lua.SinkProvider.
func (r *endpointRef) LuaSink(s *lua.State) (lua.SinkRef, error) {
	e := r.e
	if e.openSink == nil {
		return lua.SinkRef{}, fmt.Errorf("%s is a source, not a sink", e.kind)
	}
	if e.sink == nil {
		// Sinks are resolved at the top level of the main state first;
		// worker states find them open.
		sk, err := e.openSink()
		if err != nil {
			return lua.SinkRef{}, err
		}
		e.sink = s.Runtime().AddSink(sk)
	}
	ref := lua.SinkRef{Go: e.sink}
	if lc := r.lc; lc != nil {
		if lc.encode == nil {
			return lua.SinkRef{}, fmt.Errorf("%s: the codec table has no encode function", e.kind)
		}
		ref.Encode = lc.encode
	}
	return ref, nil
}

// sourcesModule provides stdin, file, timer, iterate and exec.
type sourcesModule struct {
	clock    clock.Clock // of timers, iterate's pacing, followed files' polls
	fixtures Fixtures    // under test: file sinks write there
}

func (sourcesModule) Name() string { return "sources" }

func (m sourcesModule) Open(s *lua.State) error {
	L := s.L
	mt := L.NewTypeMetatable(endpointType)
	L.SetField(mt, "__name", glua.LString("endpoint"))
	L.SetField(mt, "__tostring", L.NewFunction(func(L *glua.LState) int {
		r, _ := L.CheckUserData(1).Value.(*endpointRef)
		L.Push(glua.LString(r.e.kind))
		return 1
	}))
	funcs := map[string]glua.LGFunction{
		"stdin":   func(L *glua.LState) int { return stdinSource(s, L) },
		"file":    func(L *glua.LState) int { return fileEndpoint(s, L, m) },
		"timer":   func(L *glua.LState) int { return timerSource(s, L, m.clock) },
		"exec":    func(L *glua.LState) int { return execSource(s, L) },
		"iterate": func(L *glua.LState) int { return iterateSource(s, L, m.clock) },
	}
	for name, fn := range funcs {
		L.SetGlobal(name, L.NewFunction(fn))
	}
	return nil
}

// pushEndpoint builds (or, in worker states, finds) the shared endpoint and
// pushes it; lc is this state's Lua codec, if any.
func pushEndpoint(s *lua.State, L *glua.LState, a *lua.ArgChecker, kind string, lc *luaCodec, build func() (*endpoint, error)) int {
	if s.Runtime() == nil {
		a.Raise("not available here")
	}
	v, err := s.Shared(kind, func() (any, error) { return build() })
	a.Check(err)
	ud := L.NewUserData()
	ud.Value = &endpointRef{e: v.(*endpoint), lc: lc}
	ud.Metatable = L.GetTypeMetatable(endpointType)
	L.Push(ud)
	return 1
}

// stdin{codec=}: one process-wide reader, whatever the number of calls.
func stdinSource(s *lua.State, L *glua.LState) int {
	a := lua.Args(L, "stdin")
	o := a.Options(1, "codec")
	c, lc := codecOption(a, o, "text")
	return pushEndpoint(s, L, a, "stdin", lc, func() (*endpoint, error) {
		// One reader per run: every stdin{} call reads the same source, so
		// its handlers share (broadcast) the records.
		src, err := s.Runtime().StdinSource(c)
		if err != nil {
			return nil, err
		}
		return &endpoint{kind: "stdin", source: src}, nil
	})
}

// file{path=, codec=, follow=, from=, append=}: a source and a sink.
func fileEndpoint(s *lua.State, L *glua.LState, m sourcesModule) int {
	a := lua.Args(L, "file")
	o := a.Options(1, "path", "codec", "follow", "from", "append")
	path := o.String("path", "")
	if path == "" {
		a.Raise("path must be a non-empty string, got %s", lua.TypeName(o.Get("path")))
	}
	c, lc := codecOption(a, o, "text")
	cfg := connectors.FileConfig{Path: path, Codec: c, Follow: o.Bool("follow", false), From: o.Enum("from", "start", "start", "end")}
	appendMode := o.Bool("append", true)
	return pushEndpoint(s, L, a, "file", lc, func() (*endpoint, error) {
		src, err := connectors.NewFileSource(cfg, connectors.WithFileClock(m.clock))
		if err != nil {
			return nil, err
		}
		return &endpoint{kind: "file " + path, source: src, openSink: func() (connectors.Sink, error) {
			if m.fixtures != nil {
				return m.fixtures.FileSink(path, c), nil
			}
			return connectors.NewFileSink(connectors.FileSinkConfig{Path: path, Codec: c, Append: appendMode})
		}}, nil
	})
}

// timer{every=, count=, start_now=}
func timerSource(s *lua.State, L *glua.LState, clk clock.Clock) int {
	a := lua.Args(L, "timer")
	o := a.Options(1, "every", "count", "start_now")
	if !o.Has("every") {
		a.Raise("every must be a duration like \"1s\" or a number of seconds, got nil")
	}
	cfg := connectors.TimerConfig{Every: o.Duration("every", 0), Count: o.Int("count", 0, 0), StartNow: o.Bool("start_now", false)}
	return pushEndpoint(s, L, a, "timer", nil, func() (*endpoint, error) {
		src, err := connectors.NewTimerSource(cfg, connectors.WithTimerClock(clk))
		if err != nil {
			return nil, err
		}
		return &endpoint{kind: "timer", source: src}, nil
	})
}

// exec{cmd={...}, codec=, dir=}
func execSource(s *lua.State, L *glua.LState) int {
	a := lua.Args(L, "exec")
	o := a.Options(1, "cmd", "codec", "dir")
	t := o.Table("cmd")
	if t == nil || t.Len() == 0 {
		a.Raise("cmd must be a non-empty list of strings, got %s", lua.TypeName(o.Get("cmd")))
	}
	var cmd []string
	for i := 1; i <= t.Len(); i++ {
		str, ok := t.RawGetInt(i).(glua.LString)
		if !ok {
			a.Raise("cmd[%d] must be a string, got %s", i, lua.TypeName(t.RawGetInt(i)))
		}
		cmd = append(cmd, string(str))
	}
	c, lc := codecOption(a, o, "text")
	dir := o.String("dir", "")
	return pushEndpoint(s, L, a, "exec", lc, func() (*endpoint, error) {
		src, err := connectors.NewExecSource(connectors.ExecConfig{Cmd: cmd, Codec: c, Dir: dir, Stderr: s.Runtime().Stderr()})
		if err != nil {
			return nil, err
		}
		return &endpoint{kind: "exec " + cmd[0], source: src}, nil
	})
}

// iterate(table_or_function [, {every=}])
func iterateSource(s *lua.State, L *glua.LState, clk clock.Clock) int {
	a := lua.Args(L, "iterate")
	v := L.Get(1)
	switch v.(type) {
	case *glua.LTable, *glua.LFunction:
	default:
		a.Raise("items must be a table or a function, got %s", lua.TypeName(v))
	}
	o := a.Options(2, "every")
	every := o.Duration("every", 0)
	return pushEndpoint(s, L, a, "iterate", nil, func() (*endpoint, error) {
		return &endpoint{kind: "iterate", source: &iterSource{rt: s.Runtime(), items: v, every: every, clock: clk}}, nil
	})
}

// iterSource yields the elements of a Lua table, or the results of a Lua
// function until it returns nil. The Lua value belongs to the main state and
// is only touched there (through InMain).
type iterSource struct {
	rt    *lua.Runtime
	items glua.LValue
	every time.Duration
	clock clock.Clock
}

func (it *iterSource) Name() string { return "iterate" }

// iterBatch is how many elements one trip to the main state reads when
// there is no pacing: the source runs ahead of the handler anyway (its
// records wait in the handler's buffer), and one InMain per element cost
// more than the handler's own work.
const iterBatch = 64

func (it *iterSource) Run(ctx context.Context, emit func(context.Context, connectors.Record) error) error {
	batch := make([]any, 0, iterBatch)
	for next := 1; ; {
		if next > 1 && it.every > 0 {
			if err := it.clock.Sleep(ctx, it.every); err != nil {
				return err
			}
		}
		n := iterBatch
		if it.every > 0 {
			n = 1
		}
		batch = batch[:0]
		var done bool
		err := it.rt.InMain(ctx, func(s *lua.State) error {
			for len(batch) < n {
				i := next + len(batch)
				var lv glua.LValue
				switch x := it.items.(type) {
				case *glua.LTable:
					lv = x.RawGetInt(i)
				case *glua.LFunction:
					res, err := s.CallValues(x, 1)
					if err != nil {
						return err
					}
					lv = res[0]
				}
				if lv == glua.LNil {
					done = true
					return nil
				}
				val, err := s.FromLua(lv)
				if err != nil {
					return fmt.Errorf("item %d: %w", i, err)
				}
				batch = append(batch, val)
			}
			return nil
		})
		if ctx.Err() != nil {
			// InMain may have returned before fn ran or finished: batch
			// is not ours to read.
			return ctx.Err()
		}
		// The elements read before an error or the end still go out.
		for _, val := range batch {
			if err := emit(ctx, connectors.Record{Value: val, Source: "iterate", Pos: int64(next), Time: it.clock.Now()}); err != nil {
				return err
			}
			next++
		}
		if err != nil || done {
			return err
		}
	}
}

var _ connectors.Source = (*iterSource)(nil)
