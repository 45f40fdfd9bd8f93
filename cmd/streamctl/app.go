package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/streamctl/streamctl/lua"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// run runs the CLI and returns the process exit code.
func run(e *env) int {
	app := newApp(e)
	err := app.Run(e.args)
	if err == nil {
		return 0
	}
	code := lua.ExitUsage // errors from flag parsing and unknown commands
	var ec lua.ExitCoder
	if errors.As(err, &ec) {
		code = ec.ExitCode()
	}
	if code != lua.ExitInterrupted || !errors.Is(err, lua.ErrInterrupted) {
		fmt.Fprintf(e.stderr, "streamctl: %s\n", oneLine(err.Error()))
	}
	return code
}

// oneLine keeps error output to one line, as api.md asks.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.ReplaceAll(s, "\n", "; ")
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
	return &lua.ExitError{Code: lua.ExitUsage, Err: fmt.Errorf(format, args...)}
}

// exitError gives err the runtime exit code (1) unless it has one.
func exitError(err error) error {
	if err == nil {
		return nil
	}
	var ec lua.ExitCoder
	if errors.As(err, &ec) {
		return err
	}
	return &lua.ExitError{Code: lua.ExitRuntime, Err: err}
}
