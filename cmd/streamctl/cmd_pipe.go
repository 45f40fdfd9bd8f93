package main

import "github.com/urfave/cli/v2"

func pipeCommand(e *env) *cli.Command {
	return &cli.Command{Name: "pipe", Usage: "filter and reshape a stream with a Lua expression"}
}
