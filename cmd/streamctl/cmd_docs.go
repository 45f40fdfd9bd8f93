package main

import "github.com/urfave/cli/v2"

func docsCommand(e *env) *cli.Command {
	return &cli.Command{Name: "docs", Usage: "print the Lua API reference"}
}
