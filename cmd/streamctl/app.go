package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/streamctl/streamctl/exitcode"
)

// run runs the CLI and returns the process exit code.
func run(e *env) int {
	err := runApp(newApp(e), e.args)
	if err == nil {
		return 0
	}
	// Actions return errors carrying their exit code (exitcode.Coder: see
	// exitError and usageError); anything else comes from urfave/cli: a
	// usage error.
	code := exitcode.Usage
	var ec exitcode.Coder
	if errors.As(err, &ec) {
		code = ec.ExitCode()
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
		var ue *usageErr
		if errors.As(err, &ue) {
			fmt.Fprintf(e.stderr, "see '%s --help'\n", ue.help)
		}
	}
	return code
}

// runApp runs the command line args (args[0] is the program) through app,
// with every flag moved to where urfave/cli parses it (parseCommandLine).
// An unknown command is a usage error.
func runApp(app *cli.App, args []string) error {
	cl := parseCommandLine(app, args)
	help := app.Name
	for _, c := range cl.path {
		help += " " + c.Name
	}
	if cl.unknown != "" {
		msg := fmt.Sprintf("unknown command %q", cl.unknown)
		if len(cl.path) > 0 {
			msg = help[len(app.Name)+1:] + ": " + msg
		}
		return &exitcode.Error{Code: exitcode.Usage, Err: &usageErr{err: errors.New(msg), help: help}}
	}
	err := app.Run(cl.argv())
	var ue *usageErr
	if errors.As(err, &ue) && ue.help == "" {
		ue.help = help
	}
	return err
}

// oneLine keeps an error to one line on stderr, as api.md asks.
func oneLine(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ")
}

func newApp(e *env) *cli.App {
	app := &cli.App{
		Name:  "streamctl",
		Usage: "run Lua scripts over streams of records",
		Description: `Flags may come before or after a command's arguments; arguments after "--"
are passed on as they are (run: to the script). A usage error exits 2.

Examples:
   streamctl run scripts/timer.lua
   tail -f access.log | streamctl pipe -i json 'status >= 500'
   streamctl docs cache
   streamctl help run`,
		Version:         versionString(),
		Reader:          e.stdin,
		Writer:          e.stdout,
		ErrWriter:       e.stderr,
		HideHelpCommand: true,                         // helpCommand below instead
		ExitErrHandler:  func(*cli.Context, error) {}, // run() maps errors to exit codes
		// The app's help flag, which urfave/cli adds only with its own
		// help command.
		Flags: append(globalFlags(), cli.HelpFlag),
		Commands: []*cli.Command{
			runCommand(e),
			pipeCommand(e),
			checkCommand(e),
			testCommand(e),
			typesCommand(e),
			docsCommand(e),
			stateCommand(e),
			devBrokerCommand(e),
			versionCommand(e),
			helpCommand(),
		},
	}
	app.OnUsageError = onUsageError("")
	for _, c := range app.Commands {
		setupCommand(c, "")
	}
	return app
}

// globalFlags are the flags every command accepts, anywhere on the line
// (parseCommandLine moves them in front of the command).
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error"},
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json"},
	}
}

// globalHelp ends the help of every command: the global flags are accepted
// there too.
const globalHelp = `
GLOBAL OPTIONS (accepted anywhere on the line):
   --log-level value   debug, info, warn or error (default: "info")
   --log-format value  text or json (default: "text")
`

// setupCommand gives c and its subcommands one-line usage errors, help
// without a "help" subcommand (so `pipe help` evaluates the expression
// help), and the global flags in their help text. parent is the path of
// the parent command ("state"), "" at the top.
func setupCommand(c *cli.Command, parent string) {
	name := strings.TrimSpace(parent + " " + c.Name)
	c.OnUsageError = onUsageError(name)
	c.HideHelpCommand = true
	if c.CustomHelpTemplate == "" {
		c.CustomHelpTemplate = cli.CommandHelpTemplate + globalHelp
		if len(c.Subcommands) > 0 {
			c.CustomHelpTemplate = cli.SubcommandHelpTemplate + globalHelp
		}
	}
	for _, sub := range c.Subcommands {
		setupCommand(sub, name)
	}
}

// onUsageError turns urfave/cli's flag errors into one-line usage errors
// ("pipe: unknown flag -bogus") and prints nothing itself.
func onUsageError(command string) cli.OnUsageErrorFunc {
	return func(_ *cli.Context, err error, _ bool) error {
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
			msg = "unknown flag " + f
		}
		if command != "" {
			msg = command + ": " + msg
		}
		return asUsageError(errors.New(msg))
	}
}

// helpCommand is `streamctl help [COMMAND [SUBCOMMAND]]`: the same as
// `streamctl COMMAND [SUBCOMMAND] --help`.
func helpCommand() *cli.Command {
	return &cli.Command{
		Name:      "help",
		Usage:     "show the help of streamctl or of a command",
		ArgsUsage: "[COMMAND [SUBCOMMAND]]",
		Description: `Examples:
   streamctl help
   streamctl help run
   streamctl help state dump`,
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return cli.ShowAppHelp(c)
			}
			args := append([]string{c.App.Name}, c.Args().Slice()...)
			return runApp(c.App, append(args, "--help"))
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

// usageErr marks a usage error, so that run() follows its one line with
// "see 'streamctl CMD --help'". Its exit code (2) comes from the
// *exitcode.Error that usageError wraps around it.
type usageErr struct {
	err  error
	help string // the command whose help to see: "streamctl state get"; "" until runApp knows it
}

func (e *usageErr) Error() string { return e.err.Error() }

// Unwrap returns the error.
func (e *usageErr) Unwrap() error { return e.err }

// usageError returns a usage error (exit code 2) with the formatted message.
func usageError(format string, args ...any) error {
	return asUsageError(fmt.Errorf(format, args...))
}

// asUsageError makes err a usage error: exit code 2 and a "see" line.
func asUsageError(err error) error {
	return &exitcode.Error{Code: exitcode.Usage, Err: &usageErr{err: err}}
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
