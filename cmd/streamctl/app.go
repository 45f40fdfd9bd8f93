package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/streamctl/streamctl/exitcode"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// run runs the CLI and returns the process exit code.
func run(e *env) int {
	app := newApp(e)
	err := app.Run(reorderRunArgs(e.args))
	if err == nil {
		return 0
	}
	// Actions return *exitcode.Error (see exitError); anything else comes
	// from flag parsing or an unknown command: a usage error.
	code := exitcode.Usage
	var ee *exitcode.Error
	if errors.As(err, &ee) {
		code = ee.Code
	}
	if code != exitcode.Interrupted || !errors.Is(err, exitcode.ErrInterrupted) {
		lines := []string{oneLine(err.Error())}
		var multi interface{ Lines() []string } // check reports several problems
		if errors.As(err, &multi) {
			lines = multi.Lines()
		}
		for _, line := range lines {
			fmt.Fprintf(e.stderr, "streamctl: %s\n", line)
		}
	}
	return code
}

// oneLine keeps an error to one line on stderr, as api.md asks.
func oneLine(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ")
}

func newApp(e *env) *cli.App {
	return &cli.App{
		Name:  "streamctl",
		Usage: "run Lua scripts over streams of records",
		Description: `Examples:
   streamctl run scripts/timer.lua
   tail -f access.log | streamctl pipe -i json 'status >= 500'
   streamctl docs cache`,
		Version:         version,
		Reader:          e.stdin,
		Writer:          e.stdout,
		ErrWriter:       e.stderr,
		HideHelpCommand: true,
		ExitErrHandler:  func(*cli.Context, error) {}, // run() maps errors to exit codes
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json"},
		},
		Commands: []*cli.Command{
			runCommand(e),
			pipeCommand(e),
			checkCommand(e),
			docsCommand(e),
			stateCommand(e),
			devBrokerCommand(e),
			versionCommand(e),
		},
	}
}

// logger builds the slog logger from the global flags; it writes to stderr.
func logger(c *cli.Context, e *env) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return nil, usageError("--log-level must be debug, info, warn or error, got %q", c.String("log-level"))
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.String("log-format") {
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	}
	return nil, usageError("--log-format must be text or json, got %q", c.String("log-format"))
}

func usageError(format string, args ...any) error {
	return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf(format, args...)}
}

// exitError wraps err in a *exitcode.Error carrying its exit code
// (exitcode.Of: 1 unless the error chooses another).
func exitError(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitcode.Error
	if errors.As(err, &ee) {
		return err
	}
	return &exitcode.Error{Code: exitcode.Of(err), Err: err}
}

// runFlagsWithValue are the flags of `run` that take a value.
var runFlagsWithValue = map[string]bool{"--state-dir": true, "--set": true, "-s": true, "--brokers": true}

// reorderRunArgs moves flags written after the script of `streamctl run` in
// front of it (urfave/cli stops at the first argument), so api.md's
// `run SCRIPT.lua --set k=v -- a b` works. Arguments after "--" stay as
// they are: they are the script's.
func reorderRunArgs(args []string) []string {
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") { // global flags
		if args[i] == "--log-level" || args[i] == "--log-format" {
			i++
		}
		i++
	}
	if i >= len(args) || args[i] != "run" {
		return args
	}
	head := append([]string(nil), args[:i+1]...)
	var flags, positional []string
	rest := args[i+1:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		switch {
		case a == "--":
			positional = append(positional, rest[j:]...)
			j = len(rest)
		case runFlagsWithValue[a] && j+1 < len(rest):
			flags = append(flags, a, rest[j+1])
			j++
		case strings.HasPrefix(a, "-") && len(a) > 1:
			flags = append(flags, a)
		default:
			positional = append(positional, a)
		}
	}
	return append(append(head, flags...), positional...)
}
