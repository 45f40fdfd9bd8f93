package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
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
error, 2 usage or compile error, 3 bad input, 75 the state directory held by
another process, 130 interrupted.

Examples:
   streamctl run scripts/timer.lua
   streamctl run scripts/csv_to_json.lua -- scripts/data/people.csv
   streamctl run scripts/http_sse_source.lua --set url=https://stream.wikimedia.org/v2/stream/recentchange --set limit=10`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "state-dir", Usage: "directory of caches and saved state (default $STREAMCTL_STATE_DIR, else ./.streamctl)"},
			&cli.StringSliceFlag{Name: "set", Usage: "set args.k = v (repeatable)", Aliases: []string{"s"}},
			&cli.StringFlag{Name: "brokers", Usage: "Kafka brokers host:port,... (default $STREAMCTL_BROKERS)"},
			&cli.DurationFlag{Name: "timeout", Usage: "stop a handler call that runs longer and hand it to on_error, for handlers without their own timeout (default: no limit)"},
			&cli.StringFlag{Name: "max-value-size", Value: "256MiB", Usage: "the largest string or table that Lua code may build (.., string.rep, string.format, string.gsub, table.concat, table.insert)"},
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
			if c.Duration("timeout") < 0 {
				return usageError("--timeout must be >= 0, got %s", c.Duration("timeout"))
			}
			maxSize, err := parseSize(c.String("max-value-size"))
			if err != nil {
				return usageError("--max-value-size: %v", err)
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
				Clock:          clk,
				HandlerTimeout: c.Duration("timeout"),
				MaxValueSize:   maxSize,
				Script:         path,
				Source:         src,
				Modules:        mods,
				Logger:         log,
				Stdin:          e.stdin,
				Stdout:         e.stdout,
				Stderr:         e.stderr,
				Getenv:         e.getenv,
				State:          st,
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

// parseSize parses a size in bytes: "1048576", "512KiB", "256MiB", "1GiB"
// (KB, MB, GB count 1000s).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("want a size such as 256MiB or 1048576, got %q", s)
	}
	return n * mult, nil
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
