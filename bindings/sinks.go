package bindings

import (
	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/lua"
)

// sinksModule provides stdout{codec=} and stderr{codec=}; file{} is in
// sources.go since it is both.
type sinksModule struct{}

func (sinksModule) Name() string { return "sinks" }

func (sinksModule) Open(s *lua.State) error {
	L := s.L
	L.SetGlobal("stdout", L.NewFunction(func(L *glua.LState) int { return writerSink(s, L, "stdout") }))
	L.SetGlobal("stderr", L.NewFunction(func(L *glua.LState) int { return writerSink(s, L, "stderr") }))
	return nil
}

func writerSink(s *lua.State, L *glua.LState, name string) int {
	a := lua.Args(L, name)
	o := a.Options(1, "codec")
	c, lc := codecOption(a, o, "text")
	return pushEndpoint(s, L, a, name, lc, func() (*endpoint, error) {
		rt := s.Runtime()
		if name == "stdout" {
			// Every stdout sink shares the run's stdout buffer, so outputs
			// of print, handlers and stdout{codec=} keep their order.
			sk := rt.StdoutSink()
			if c.Name() != "text" {
				sk = rt.NewStdoutSink(c)
			}
			return &endpoint{kind: name, sink: sk, openSink: func() (connectors.Sink, error) { return sk, nil }}, nil
		}
		return &endpoint{kind: name, openSink: func() (connectors.Sink, error) {
			return connectors.NewWriterSink(name, rt.Stderr(), c), nil
		}}, nil
	})
}
