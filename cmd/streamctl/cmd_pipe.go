package main

import (
	"flag"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/lua"
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
prints them, tables as compact JSON. -i json input must be RFC 8259 JSON; -o csv
takes its header from the first record and stops at a key the header lacks. When EXPR is not
an expression it runs as a chunk that may "return v" and call emit(v) any
number of times. print() writes into the same output, in order.

--begin and --end run once, before the first and after the last record, in the
same globals. With -w N, N Lua states share the work and output keeps input
order; each state has its own globals and runs --begin and --end.

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
			opts := lua.PipeOptions{
				Expr:     c.Args().First(),
				Begin:    c.String("begin"),
				End:      c.String("end"),
				InCodec:  c.String("input"),
				OutCodec: c.String("output"),
				Workers:  c.Int("workers"),
				From:     c.String("from"),
				To:       c.String("to"),
			}
			// urfave/cli stops at the first argument; flags may follow EXPR
			// (`pipe --begin 'n=0' 'n = n + _' --end 'print(n)'`).
			if err := pipeTrailingFlags(&opts, c.Args().Tail()); err != nil {
				return err
			}
			if opts.Workers < 1 {
				return usageError("pipe: -w must be at least 1, got %d", opts.Workers)
			}
			log, err := logger(c, e)
			if err != nil {
				return err
			}
			opts.Modules = bindings.PipeModules()
			opts.Logger = log
			opts.Stdin, opts.Stdout = e.stdin, e.stdout
			opts.Interactive = e.isTerminal != nil && e.isTerminal()
			p, err := lua.NewPipe(opts)
			if err != nil {
				return err
			}
			lua.TuneGC()
			ctx, stop := e.signalContext()
			defer stop()
			return exitError(p.Run(ctx))
		},
	}
}

// pipeTrailingFlags parses the flags given after EXPR into opts.
func pipeTrailingFlags(opts *lua.PipeOptions, args []string) error {
	if len(args) == 0 {
		return nil
	}
	fs := flag.NewFlagSet("pipe", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, n := range []string{"i", "input"} {
		fs.StringVar(&opts.InCodec, n, opts.InCodec, "")
	}
	for _, n := range []string{"o", "output"} {
		fs.StringVar(&opts.OutCodec, n, opts.OutCodec, "")
	}
	for _, n := range []string{"w", "workers"} {
		fs.IntVar(&opts.Workers, n, opts.Workers, "")
	}
	fs.StringVar(&opts.From, "from", opts.From, "")
	fs.StringVar(&opts.To, "to", opts.To, "")
	fs.StringVar(&opts.Begin, "begin", opts.Begin, "")
	fs.StringVar(&opts.End, "end", opts.End, "")
	if err := fs.Parse(args); err != nil {
		return usageError("pipe: %v", err)
	}
	if fs.NArg() > 0 {
		return usageError("pipe: want one EXPR or CODE argument, got another: %q (quote the whole expression)", fs.Arg(0))
	}
	return nil
}
