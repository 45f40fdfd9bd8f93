// Package bindings holds streamctl's Lua modules, one file per module. Each is
// thin: it checks and converts arguments, then calls into packages lua,
// connectors and state. A module is a struct holding what it needs, built by
// Modules from the typed Deps that cmd/streamctl gives.
package bindings

import (
	"log/slog"

	"github.com/streamctl/streamctl/clock"
	"github.com/streamctl/streamctl/lua"
	"github.com/streamctl/streamctl/state"
)

// Deps are what the modules need from the process, built by cmd/streamctl.
// The zero value is usable for scripts that need none of them.
type Deps struct {
	// StateDir is the state directory of caches, state.save/load, windows
	// and checkpoints (api.md section 5). It is opened on first use: a script
	// that uses none of them creates and locks nothing. Empty: those calls
	// fail ("state directory: empty path").
	StateDir string
	// State, when set, is the state directory already opened by the
	// caller (state.Open creates and locks nothing until first use), which
	// closes it after the run; StateDir is then ignored.
	State *state.Store
	// Brokers are the Kafka brokers of kafka.topic calls that give no
	// brokers; none: the dev-broker's address, 127.0.0.1:9092.
	Brokers []string
	// Logger receives log.* calls and the state store's background errors.
	// Nil: the run's logger (lua.Options.Logger); outside a run, stderr.
	Logger *slog.Logger
	// Set holds the --set k=v pairs, in order, and Positional the arguments
	// after "--": they fill the Lua table args (args.k, args[1..n]).
	Set        [][2]string
	Positional []string
	// Clock is the time of the run: time.now, sleep, timers, iterate's
	// pacing, windows' arrival times and idle checks. Nil: clock.Real.
	// Give the same clock to lua.Options.Clock and, for TTLs, to the state
	// store (state.WithClock).
	Clock clock.Clock
	// Fixtures, under `streamctl test`, stand in for Kafka, HTTP and file
	// sinks (see Fixtures). Nil: the real connectors.
	Fixtures Fixtures
}

// Modules returns the Lua modules of streamctl, in the order they are opened
// in every Lua state (like gopher-lua's linit.go). Their state (the open
// state directory, the Kafka topics) belongs to one run: build them for each.
func Modules(d Deps) []lua.Module {
	store := &stateStore{dir: d.StateDir, given: d.State, log: d.Logger, fixtures: d.Fixtures}
	topics := &topicList{}
	clk := clock.Or(d.Clock)
	scale := &scaleOut{store: store, brokers: d.Brokers}
	return []lua.Module{
		&coreModule{set: d.Set, positional: d.Positional, clock: clk},
		jsonModule{},
		timeModule{clock: clk},
		&logModule{logger: d.Logger},
		codecModule{},
		sourcesModule{clock: clk, fixtures: d.Fixtures},
		sinksModule{},
		pipeModule{clock: clk},
		&cacheModule{store: store, scale: scale},
		&stateModule{store: store},
		&kafkaModule{brokers: d.Brokers, topics: topics, fixtures: d.Fixtures, scale: scale},
		newHTTPModule(topics, d.Fixtures, clk, scale),
		&windowModule{store: store, clock: clk},
		&checkpointModule{store: store},
	}
}

// PipeModules returns the modules opened in `streamctl pipe` states: the
// pure ones, without sources, sinks and handlers. logger receives log.*
// calls (nil: stderr).
func PipeModules(logger *slog.Logger) []lua.Module {
	return []lua.Module{
		jsonModule{},
		timeModule{clock: clock.Real},
		&logModule{logger: logger},
	}
}
