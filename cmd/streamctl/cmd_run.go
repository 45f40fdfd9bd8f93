package main

import (
	"log/slog"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/clock"
	"github.com/streamctl/streamctl/lua"
	"github.com/streamctl/streamctl/state"
	"github.com/streamctl/streamctl/state/live"
)

func runCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a Lua script: its handlers process records until every source ends",
		ArgsUsage: "SCRIPT.lua [-- ARGS...]",
		Description: `Runs the script's top level once, then every handler until its sources are
exhausted, stop() is called, or the process gets SIGINT/SIGTERM (exit 130).
--set k=v sets args.k; the words after the script (after "--" when one
starts with "-") are args[1], args[2], ... Exit codes: 0 ok, 1 runtime
error, 2 usage or compile error, 3 bad input, 75 a cache held by another
process, 130 interrupted.

Examples:
   streamctl run scripts/timer.lua
   streamctl run scripts/csv_to_json.lua -- scripts/data/people.csv
   streamctl run scripts/http_sse_source.lua --set url=https://stream.wikimedia.org/v2/stream/recentchange --set limit=10`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "state-dir", Usage: "directory of caches and saved state (default $STREAMCTL_STATE_DIR, else ./.streamctl)"},
			&cli.StringSliceFlag{Name: "set", Usage: "set args.k = v (repeatable)", Aliases: []string{"s"}},
			&cli.StringFlag{Name: "brokers", Usage: "Kafka brokers host:port,... (default $STREAMCTL_BROKERS)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 {
				return usageError("run: missing SCRIPT.lua (try: streamctl run scripts/timer.lua)")
			}
			log, err := logger(c, e)
			if err != nil {
				return err
			}
			path := c.Args().First()
			src, err := os.ReadFile(path)
			if err != nil {
				return usageError("run: %v", err)
			}
			var set [][2]string
			for _, kv := range c.StringSlice("set") {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return usageError("--set must be k=v, got %q", kv)
				}
				set = append(set, [2]string{k, v})
			}
			positional := c.Args().Tail()
			if len(positional) > 0 && positional[0] == "--" {
				positional = positional[1:]
			}
			st, closeState, err := openState(stateDir(c, e), log)
			if err != nil {
				return exitError(err)
			}
			defer closeState()
			clk := clock.Real
			mods := bindings.Modules(bindings.Deps{
				State:      st,
				Brokers:    brokers(c, e),
				Logger:     log,
				Set:        set,
				Positional: positional,
				Clock:      clk,
			})
			rt := lua.New(lua.Options{
				Clock:   clk,
				Script:  path,
				Source:  src,
				Modules: mods,
				Logger:  log,
				Stdin:   e.stdin,
				Stdout:  e.stdout,
				Stderr:  e.stderr,
				Getenv:  e.getenv,
				State:   st,
			})
			tuneGC(e.getenv)
			ctx, stop := e.signalContext()
			defer stop()
			return exitError(rt.Run(ctx))
		},
	}
}

// openState opens the state directory of a run (creating and locking
// nothing until the script uses it). Once the run holds it, it serves
// `streamctl state ls|get|dump` of other processes through a socket in it
// (package live). closeState stops that and closes the directory.
func openState(dir string, log *slog.Logger) (st *state.Store, closeState func(), err error) {
	var srv *live.Server
	st, err = state.Open(dir, state.WithLogger(log), state.WithOnOpen(func(st *state.Store) (err error) {
		srv, err = live.Listen(st, log)
		return err
	}))
	if err != nil {
		return nil, nil, err
	}
	return st, func() {
		if srv != nil {
			srv.Close()
		}
		if err := st.Close(); err != nil {
			log.Error("close the state directory", "err", err)
		}
	}, nil
}

// stateDir returns --state-dir, else $STREAMCTL_STATE_DIR, else ".streamctl"
// (api.md section 1).
func stateDir(c *cli.Context, e *env) string {
	if d := c.String("state-dir"); d != "" {
		return d
	}
	if d, ok := e.getenv("STREAMCTL_STATE_DIR"); ok && d != "" {
		return d
	}
	return ".streamctl"
}

// brokers returns --brokers, else $STREAMCTL_BROKERS, split at commas; nil
// when neither is set (kafka.topic then uses the dev-broker's address).
func brokers(c *cli.Context, e *env) []string {
	b := c.String("brokers")
	if b == "" {
		b, _ = e.getenv("STREAMCTL_BROKERS")
	}
	if b == "" {
		return nil
	}
	return strings.Split(b, ",")
}
