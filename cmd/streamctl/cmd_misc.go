package main

import (
	"fmt"
	"os"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/lua"
)

func checkCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "compile a script and report errors, without running it",
		ArgsUsage: "SCRIPT.lua",
		Description: `Compiles the script and checks that every global it reads is part of the
API or assigned somewhere in it (a typo such as "hadnle" is always nil).
Exit 0 when all is well, 2 with one "file:line: message" per problem.

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
			if err := lua.Check(src, path, bindings.Modules(bindings.Deps{})); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: ok\n", path)
			return nil
		},
	}
}

func versionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version",
		Description: `Example:
   streamctl version`,
		Action: func(c *cli.Context) error {
			v := version
			if info, ok := debug.ReadBuildInfo(); ok && v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
				v = info.Main.Version
			}
			fmt.Fprintf(e.stdout, "streamctl %s\n", v)
			return nil
		},
	}
}
