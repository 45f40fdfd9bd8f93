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
modules. With a module (core, sources, sinks, codec, json, time, log, pipe,
cache, state, kafka, http, window, checkpoint), prints its reference; with a
name (handle, json.encode, cache:get, which may also be written cache.get),
that entry. The output is Markdown; docs/reference.md holds the whole
reference. An unknown name exits 2.

Examples:
   streamctl docs
   streamctl docs json
   streamctl docs handle
   streamctl docs cache.get`,
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
