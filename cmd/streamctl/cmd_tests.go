package main

import (
	"fmt"
	"regexp"

	"github.com/urfave/cli/v2"

	"github.com/streamctl/streamctl/exitcode"
	"github.com/streamctl/streamctl/streamtest"
)

func testCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "test",
		Usage:     "run the test files of scripts (JOB_test.lua beside JOB.lua)",
		ArgsUsage: "[PATH...]",
		Description: `Runs every test file (*_test.lua) under the paths (files, or directories
searched recursively; default "."). A test file calls test(name, spec) for
each case: the script runs with the case's fixture records in place of its
Kafka topics, HTTP streams and responses and stdin, on a virtual clock
(timers, sleep, time.now, window idle checks and TTLs advance without
waiting), and each sink's outputs and the caches' final contents are
compared with the case's expectations; a mismatch prints a diff. Each case
runs in the directory of its test file. "streamctl docs test" documents
the test-file API. Exit 0 when every case passed, 1 when one failed.

Examples:
   streamctl test scripts/
   streamctl test scripts/timer_test.lua
   streamctl test --run 'late' scripts/`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print the logs of failed cases"},
			&cli.StringFlag{Name: "run", Usage: "run only the cases whose \"FILE: NAME\" matches this regular expression"},
		},
		Action: func(c *cli.Context) error {
			o := streamtest.Options{Out: e.stdout, Verbose: c.Bool("verbose")}
			if r := c.String("run"); r != "" {
				re, err := regexp.Compile(r)
				if err != nil {
					return usageError("test: --run: %v", err)
				}
				o.Run = re
			}
			ctx, stop := e.signalContext()
			defer stop()
			sum, err := streamtest.Run(ctx, c.Args().Slice(), o)
			if err != nil {
				return usageError("test: %v", err)
			}
			if sum.Failed > 0 {
				return &exitcode.Error{Code: exitcode.Runtime, Err: testsFailed(sum.Failed)}
			}
			return nil
		},
	}
}

// testsFailed is the error of a test run with failures: the report says
// which, so run() prints nothing more than this line.
type testsFailed int

func (n testsFailed) Error() string {
	if n == 1 {
		return "1 test failed"
	}
	return fmt.Sprintf("%d tests failed", int(n))
}
