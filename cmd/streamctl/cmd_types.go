package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/streamctl/streamctl/bindings"
)

func typesCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "types",
		Usage: "write the Lua API's definitions for editors (lua-language-server)",
		Description: `Writes a lua-language-server definition file (---@meta) of the whole Lua
API: every function with its parameters and results, the objects (cache,
topic, server, checkpoint, window) as classes, and the option tables as
classes, so that an editor completes names and options and flags typos.
It is generated from the same reference as "streamctl docs". Point the
language server's workspace.library at the file (see the README).

Examples:
   streamctl types -o .luals/streamctl.lua
   streamctl types > streamctl.d.lua`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to FILE instead of stdout"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("types: unexpected argument %q", c.Args().First())
			}
			text := bindings.TypesLua()
			if out := c.String("output"); out != "" {
				if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
					return exitError(fmt.Errorf("types: %w", err))
				}
				return nil
			}
			_, err := fmt.Fprint(e.stdout, text)
			return err
		},
	}
}
