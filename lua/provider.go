package lua

import (
	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors"
)

// SourceProvider is implemented by the Go values behind Lua objects that can
// be handed to handle() as a source (endpoints, Kafka topics, cache updates).
type SourceProvider interface {
	// LuaSource returns the shared source and, for custom Lua codecs, the
	// decode function of state s (nil otherwise).
	LuaSource(s *State) (connectors.Source, *glua.LFunction, error)
}

// SinkProvider is implemented by the Go values behind Lua objects usable as
// sinks (opts.sink, on_error).
type SinkProvider interface {
	LuaSink(s *State) (SinkRef, error)
}

// SinkRefOf converts a Lua value to a sink of state s: a Lua function or a
// userdata whose value is a SinkProvider.
func (s *State) SinkRefOf(v glua.LValue) (SinkRef, bool, error) {
	switch x := v.(type) {
	case *glua.LFunction:
		return SinkRef{Fn: x}, true, nil
	case *glua.LUserData:
		if p, ok := x.Value.(SinkProvider); ok {
			ref, err := p.LuaSink(s)
			return ref, true, err
		}
	}
	return SinkRef{}, false, nil
}
