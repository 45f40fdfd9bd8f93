package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/oneliner"
)

func pipeCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "pipe",
		Usage:     "filter and reshape a stream with a Lua expression",
		ArgsUsage: "EXPR|CODE",
		Description: `Evaluates EXPR for every record of the input. The record is the global _; the
fields of a table record (a JSON object, a CSV row) are also globals, and a
field shadows a global of the same name. nil or false drop the record, true
writes it unchanged (its input bytes and line end, "\r\n" included), any other
value is written: strings as they are (bytes, never made UTF-8), numbers as Lua
prints them, tables as compact JSON. -i json input must be RFC 8259 JSON; -o
csv takes its header from the first record and stops at a key the header
lacks. When EXPR is not an expression it runs as a chunk that may "return v"
and call emit(v) any number of times. print() writes into the same output, in
order.

A comparison (<, <=, >, >=) with nil on either side is false instead of an
error, so a record lacking a field the expression compares is dropped and the
stream goes on, as with jq 'select(.status >= 500)' (against a number, false
compares false too). Other errors (arithmetic on nil, indexing nil) stop the
pipe with exit 1 naming the record.

--begin and --end run once, before the first and after the last record, in the
same globals; on SIGINT reading stops, the records read are evaluated, --end
runs with their totals and the exit code is 130. With -w N, N Lua states share
the work and output keeps input order; each state has its own globals and runs
--begin and --end.

Lines are at most 16 MiB (text and json input); a longer one, or input the
codec cannot decode, stops the pipe with exit 3 naming its line, after the
output of the records before it. Flags may follow EXPR; an EXPR that starts
with "-" goes after "--".

Examples:
   streamctl pipe -i json 'status >= 500' < access.ndjson
   streamctl pipe -i json '{user = user, kb = math.floor(bytes / 1024)}' < access.ndjson
   tail -f app.log | streamctl pipe '_:find("ERROR") ~= nil'
   seq 5 | streamctl pipe --begin 'n=0' 'n = n + _' --end 'print(n)'
   streamctl pipe -i csv -o json --from users.csv 'if age + 0 >= 18 then emit(name) end'
   streamctl pipe -w 2 -i json --to slow.ndjson 'ms > 1000' --from access.ndjson`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "input", Aliases: []string{"i"}, Value: "text", Usage: "input codec: text, json, csv, msgpack, bytes"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "auto", Usage: "output codec: auto, json, csv, msgpack, bytes"},
			&cli.StringFlag{Name: "from", Value: "-", Usage: "input file (- is stdin)"},
			&cli.StringFlag{Name: "to", Value: "-", Usage: "output file, created or truncated (- is stdout)"},
			&cli.StringFlag{Name: "begin", Usage: "Lua chunk run once before the first record"},
			&cli.StringFlag{Name: "end", Usage: "Lua chunk run once after the last record"},
			&cli.IntFlag{Name: "workers", Aliases: []string{"w"}, Value: 1, Usage: "number of Lua states evaluating records in parallel"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 {
				return usageError("pipe: missing EXPR (try: streamctl pipe -i json 'status >= 500')")
			}
			a := pipeArgs{
				opts: oneliner.Options{
					Expr:     c.Args().First(),
					Begin:    c.String("begin"),
					End:      c.String("end"),
					InCodec:  c.String("input"),
					OutCodec: c.String("output"),
					Workers:  c.Int("workers"),
				},
				from: c.String("from"),
				to:   c.String("to"),
			}
			if c.NArg() > 1 {
				return usageError("pipe: want one EXPR or CODE argument, got another: %q (quote the whole expression)", c.Args().Get(1))
			}
			if a.opts.Workers < 1 {
				return usageError("pipe: -w must be at least 1, got %d", a.opts.Workers)
			}
			log, err := logger(c, e)
			if err != nil {
				return err
			}
			opts := a.opts
			opts.Modules = bindings.PipeModules(log)
			if isFile(a.from) {
				opts.InputName = a.from
			}
			// A terminal is written per record; a file given with --to is not.
			opts.Interactive = !isFile(a.to) && e.isTerminal != nil && e.isTerminal()
			p, err := oneliner.New(opts)
			if err != nil {
				return err
			}
			return exitError(runPipe(e, p, a.from, a.to))
		},
	}
}

// pipeArgs are the flags of `streamctl pipe`.
type pipeArgs struct {
	opts     oneliner.Options
	from, to string // --from, --to: "-" (or "") for stdin, stdout
}

// isFile reports whether a --from or --to value names a file, not "-".
func isFile(path string) bool { return path != "" && path != "-" }

// runPipe opens --from and --to (a file given with --to is created or
// truncated) and runs p over them until the input ends or a signal.
func runPipe(e *env, p *oneliner.Program, from, to string) (err error) {
	in, out := e.stdin, e.stdout
	if isFile(from) {
		f, err := os.Open(from)
		if err != nil {
			return usageError("--from: %v", err)
		}
		defer f.Close()
		in = f
	}
	if isFile(to) {
		f, err := os.Create(to)
		if err != nil {
			return usageError("--to: %v", err)
		}
		defer func() {
			if cerr := f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("--to: %w", cerr)
			}
		}()
		out = f
	}
	tuneGC(e.getenv)
	ctx, stop := e.signalContext()
	defer stop()
	return p.Run(ctx, in, out)
}
