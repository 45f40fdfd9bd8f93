package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/streamctl/streamctl/bindings"
)

func docsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "docs",
		Usage:     "print the Lua API reference",
		ArgsUsage: "[MODULE|NAME]",
		Description: `Without an argument, prints the concept pages (handlers and coroutines,
workers, codecs and JSON values, errors and exit codes) and an index of the
modules. With a module (core, sources, sinks, codec, json, time, log, pipe),
prints its reference; with a name (handle, json.encode), that entry. The
output is Markdown; docs/reference.md holds the whole reference.

Examples:
   streamctl docs
   streamctl docs json
   streamctl docs handle`,
		Action: func(c *cli.Context) error {
			switch c.NArg() {
			case 0:
				fmt.Fprint(e.stdout, bindings.IndexMarkdown())
				return nil
			case 1:
				text, err := bindings.DocMarkdown(c.Args().First())
				if err != nil {
					return usageError("docs: %v", err)
				}
				fmt.Fprint(e.stdout, text)
				return nil
			}
			return usageError("docs: want at most one MODULE or NAME, got %d arguments", c.NArg())
		},
	}
}
