// Package bindings holds streamctl's Lua modules, one file per module. Each is
// thin: it checks and converts arguments, then calls into packages lua,
// connectors and state.
package bindings

import (
	"github.com/streamctl/streamctl/lua"
)

// Modules returns the Lua modules of streamctl, in the order they are opened
// in every Lua state (like gopher-lua's linit.go).
func Modules() []lua.Module {
	return []lua.Module{
		coreModule{},
		jsonModule{},
		timeModule{},
		logModule{},
		codecModule{},
		sourcesModule{},
		sinksModule{},
		pipeModule{},
		cacheModule{},
		stateModule{},
		kafkaModule{},
		httpModule{},
		windowModule{},
		checkpointModule{},
	}
}

// PipeModules returns the modules opened in `streamctl pipe` states: the
// pure ones, without sources, sinks and handlers.
func PipeModules() []lua.Module {
	return []lua.Module{
		jsonModule{},
		timeModule{},
		logModule{},
	}
}
