package main

import (
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

// commandLine is a command line taken apart by parseCommandLine.
type commandLine struct {
	prog   string
	global []string       // app-level flags, each followed by its value if it takes one
	path   []*cli.Command // the command and subcommands named, outermost first
	flags  [][]string     // flags[i] are the flags of path[i]
	args   []string       // positional arguments, including those after "--"
	// unknown is set when a command that only has subcommands (the root,
	// state) was given another word: `streamctl frobnicate`.
	unknown string
}

// parseCommandLine finds the commands named in args (args[0] is the
// program) and moves every flag to the command that declares it, so that
// flags work wherever they are written: urfave/cli parses a command's flags
// only between its name and its first argument, and a flag of the app only
// before the first command. A flag goes to the innermost command named that
// declares it (`state --state-dir D dump` and `state dump --state-dir D`
// both reach dump), else to the app when it is one of the app's flags
// (`run --log-level warn job.lua`), else to the innermost command, which
// rejects it. Whether a flag takes a value is read from the cli.Flag
// definitions of the app and every command. Everything after "--" is
// positional, as are "-" and negative numbers.
func parseCommandLine(app *cli.App, args []string) commandLine {
	cl := commandLine{prog: args[0]}
	type flagTok struct {
		name string
		toks []string
	}
	var flags []flagTok
	subs := app.Commands
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			cl.args = append(cl.args, args[i+1:]...)
			break
		}
		if isFlag(a) {
			name, _, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
			t := flagTok{name: name, toks: []string{a}}
			if !hasVal && takesValue(app, name) && i+1 < len(args) {
				t.toks = append(t.toks, args[i+1])
				i++
			}
			flags = append(flags, t)
			continue
		}
		if len(cl.args) == 0 && len(subs) > 0 && cl.unknown == "" {
			if c := findCommand(subs, a); c != nil {
				cl.path = append(cl.path, c)
				subs = c.Subcommands
				continue
			}
			if len(cl.path) == 0 || cl.path[len(cl.path)-1].Action == nil {
				cl.unknown = a
			}
		}
		cl.args = append(cl.args, a)
	}
	cl.flags = make([][]string, len(cl.path))
	for _, f := range flags {
		if f.name == "help" || f.name == "h" {
			// urfave/cli's help would take the first argument for a
			// topic: `run job.lua --help` shows run's help.
			cl.args = nil
		}
		owner := len(cl.path) - 1 // unknown flags go to the innermost command
		found := false
		for j := len(cl.path) - 1; j >= 0 && !found; j-- {
			if declares(cl.path[j].Flags, f.name) || f.name == "help" || f.name == "h" {
				owner, found = j, true
			}
		}
		if !found && declares(app.Flags, f.name) {
			owner = -1
		}
		if owner < 0 {
			cl.global = append(cl.global, f.toks...)
		} else {
			cl.flags[owner] = append(cl.flags[owner], f.toks...)
		}
	}
	return cl
}

// argv returns the command line in the order urfave/cli parses: the app's
// flags, then each command followed by its flags, then "--" and the
// positional arguments.
func (cl commandLine) argv() []string {
	out := append([]string{cl.prog}, cl.global...)
	for i, c := range cl.path {
		out = append(out, c.Name)
		out = append(out, cl.flags[i]...)
	}
	if len(cl.args) > 0 {
		if len(cl.path) > 0 {
			out = append(out, "--")
		}
		out = append(out, cl.args...)
	}
	return out
}

// isFlag reports whether a command-line word is a flag: it starts with "-"
// and is neither "-", "--" nor a number ("-5").
func isFlag(a string) bool {
	if len(a) < 2 || a[0] != '-' || a == "--" {
		return false
	}
	_, err := strconv.ParseFloat(a, 64)
	return err != nil
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// declares reports whether flags has one called name (or aliased so).
func declares(flags []cli.Flag, name string) bool {
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			return true
		}
	}
	return false
}

// takesValue reports whether the flag called name, wherever the app or a
// command declares it, takes a value (every declaration agrees:
// TestFlagsAgree). Unknown flags take none.
func takesValue(app *cli.App, name string) bool {
	var walk func(flags []cli.Flag, cmds []*cli.Command) (bool, bool)
	walk = func(flags []cli.Flag, cmds []*cli.Command) (takes, found bool) {
		for _, f := range flags {
			if slices.Contains(f.Names(), name) {
				df, ok := f.(cli.DocGenerationFlag)
				return ok && df.TakesValue(), true
			}
		}
		for _, c := range cmds {
			if takes, found := walk(c.Flags, c.Subcommands); found {
				return takes, true
			}
		}
		return false, false
	}
	takes, _ := walk(app.Flags, app.Commands)
	return takes
}
