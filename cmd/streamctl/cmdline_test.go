package main

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestParseCommandLine(t *testing.T) {
	app := newApp(&env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard})
	for _, tt := range []struct{ name, in, want, unknown string }{
		{"flag before subcommand", "state --state-dir d dump", "state dump --state-dir d", ""},
		{"flag after arguments", "state dump c --state-dir d", "state dump --state-dir d -- c", ""},
		{"flag before command", "--state-dir d state ls", "state ls --state-dir d", ""},
		{"global after command", "run job.lua --log-level warn", "--log-level warn run -- job.lua", ""},
		{"global with =", "run --log-format=json job.lua", "--log-format=json run -- job.lua", ""},
		{"script args after --", "run job.lua --set a=1 -- --set b -x", "run --set a=1 -- job.lua --set b -x", ""},
		{"value flags after the argument", "pipe x -i json -w 2", "pipe -i json -w 2 -- x", ""},
		{"negative number", "state put c k -5", "state put -- c k -5", ""},
		{"dash is an argument", "pipe --from - true", "pipe --from - -- true", ""},
		{"unknown flag stays with the command", "pipe --bogus x", "pipe --bogus -- x", ""},
		{"help drops the arguments", "run job.lua --help", "run --help", ""},
		{"app help", "--help", "--help", ""},
		{"version flag at the top", "--version", "--version", ""},
		{"unknown command", "frobnicate --log-level warn", "--log-level warn frobnicate", "frobnicate"},
		{"unknown subcommand", "state frob", "state -- frob", "frob"},
		{"help command", "help state dump", "help -- state dump", ""},
		{"a command word after an argument", "pipe help", "pipe -- help", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cl := parseCommandLine(app, append([]string{"streamctl"}, strings.Fields(tt.in)...))
			got := strings.Join(cl.argv()[1:], " ")
			if got != tt.want {
				t.Errorf("parseCommandLine(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if cl.unknown != tt.unknown {
				t.Errorf("unknown = %q, want %q", cl.unknown, tt.unknown)
			}
		})
	}
}

// TestFlagsAgree checks what parseCommandLine relies on: a flag name means
// the same everywhere (it takes a value in every declaration or in none),
// and no command declares one of the app's global flags.
func TestFlagsAgree(t *testing.T) {
	app := newApp(&env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard})
	takes := map[string]bool{}
	var globals []string
	for _, f := range globalFlags() {
		globals = append(globals, f.Names()...)
	}
	var walk func(where string, flags []cli.Flag, cmds []*cli.Command)
	walk = func(where string, flags []cli.Flag, cmds []*cli.Command) {
		for _, f := range flags {
			df, ok := f.(cli.DocGenerationFlag)
			if !ok {
				t.Fatalf("%s: flag %v has no TakesValue", where, f.Names())
			}
			for _, n := range f.Names() {
				if prev, seen := takes[n]; seen && prev != df.TakesValue() {
					t.Errorf("%s: flag %q takes a value here but not elsewhere (or the reverse)", where, n)
				}
				takes[n] = df.TakesValue()
				if where != "streamctl" && slices.Contains(globals, n) {
					t.Errorf("%s: declares the global flag %q", where, n)
				}
			}
		}
		for _, c := range cmds {
			walk(where+" "+c.Name, c.Flags, c.Subcommands)
		}
	}
	walk("streamctl", app.Flags, app.Commands)
}
