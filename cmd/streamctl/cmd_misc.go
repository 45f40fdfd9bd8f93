package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/lua"
	"github.com/streamctl/streamctl/streamtest"
)

func checkCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "compile a script and report errors, without running it",
		ArgsUsage: "SCRIPT.lua",
		Description: `Compiles the script and checks, with the same data as "streamctl docs" and
"streamctl types":
   - every global it reads is part of the API or assigned somewhere in it
     (a typo such as "hadnle" is always nil);
   - members of the API's module tables exist (json.encod);
   - methods called on objects whose type is known from the call that made
     them exist (local c = cache.open("x") ... c:icnr(k));
   - option tables written in a call hold only options the function takes
     (cache.open("x", {tll = "1h"}));
   - every global it assigns is also read (cuont = count + 1).
A test file (JOB_test.lua) is checked against what "streamctl test" runs it
with: test, record, json, time and log.
Each problem is one "file:line: message" line, with the closest known name
when there is one. Exit 0 when all is well, 1 when a problem was found, 2
for a syntax error.

Example:
   streamctl check scripts/timer.lua`,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError("check: want exactly one SCRIPT.lua")
			}
			path := c.Args().First()
			src, err := os.ReadFile(path)
			if err != nil {
				return usageError("check: %v", err)
			}
			mods := bindings.Modules(bindings.Deps{})
			if strings.HasSuffix(path, "_test.lua") {
				mods = streamtest.CheckModules() // what `streamctl test` runs it with
			}
			if err := lua.Check(src, path, mods, bindings.CheckAPI()); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: ok\n", path)
			return nil
		},
	}
}

// version, when set at build time with -ldflags "-X main.version=v1.2.3",
// replaces the module version that the Go toolchain records.
var version string

func versionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version",
		Description: `Prints the module version, the VCS revision it was built from (with
"modified" when the tree had uncommitted changes) and the Go version, as the
Go toolchain recorded them in the binary: "streamctl v1.2.0 (3b3506f1c2d4)
go1.26.8". A binary built by "go run" or "go test" may know no more than
"(devel)" and the Go version.

Example:
   streamctl version`,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("version: unexpected argument %q", c.Args().First())
			}
			fmt.Fprintf(e.stdout, "streamctl %s\n", versionString())
			return nil
		},
	}
}

// versionString describes this binary from its build info.
func versionString() string {
	info, _ := debug.ReadBuildInfo()
	return formatVersion(info, version)
}

// formatVersion returns "VERSION [(REVISION[, modified])] GOVERSION" from a
// binary's build info: VERSION is override when set, else the main
// module's version, else "(devel)"; REVISION is the first 12 digits of
// vcs.revision, left out when VERSION shows it. info may be nil.
func formatVersion(info *debug.BuildInfo, override string) string {
	v, goVersion := override, runtime.Version()
	var rev string
	modified := false
	if info != nil {
		if v == "" {
			v = info.Main.Version
		}
		if info.GoVersion != "" {
			goVersion = info.GoVersion
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	out := v
	// A pseudo-version (v0.0.0-20260918054303-3b3506f1c2d4+dirty) holds
	// the revision already.
	if rev = rev[:min(12, len(rev))]; rev != "" && !strings.Contains(v, rev) {
		if modified {
			rev += ", modified"
		}
		out += " (" + rev + ")"
	}
	return out + " " + goVersion
}
