// Package oneliner is the engine of `streamctl pipe`: a Lua expression or
// chunk evaluated for every record of an input, its results written to an
// output (api.md section 1). It runs its own Lua states from package lua and
// reads and writes through the codecs of connectors/codec; the line and JSON
// inputs and the output it reads and writes itself (see io.go for why).
package oneliner

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/exitcode"
	"github.com/streamctl/streamctl/lua"
)

// Options configures a Program: `streamctl pipe`. The zero value of every
// field but Expr is usable.
type Options struct {
	// Expr is the per-record code: a Lua expression ("status >= 500") or,
	// when it does not compile as one, a chunk using return and/or emit(v).
	Expr string
	// Begin and End are chunks run once before the first and after the last
	// record, in the same environment as Expr. With Workers > 1 each worker
	// state runs them (globals are per worker); their output is written in
	// worker order, before all records and after all records respectively.
	Begin, End string
	// InCodec is the input codec: "text" (the default: `_` is the line),
	// "json" (NDJSON), or any name codec.Lookup knows ("csv", "msgpack", ...).
	InCodec string
	// OutCodec is the output codec: "auto" (the default; "text" is the
	// same): strings as they are, numbers as Lua prints them, tables as
	// compact JSON, each followed by "\n". "json" writes every result as a
	// JSON document per line; other names go through codec.Lookup.
	OutCodec string
	// Workers is the number of Lua states evaluating records in parallel,
	// default 1. Output keeps input order whatever the number.
	Workers int
	// ChunkLines is the most records handed to a worker at a time; default
	// 1000 (1 for an interactive single worker).
	ChunkLines int
	// Modules are opened in every Lua state of the pipe, in order
	// (bindings.PipeModules).
	Modules []lua.Module
	// InputName names the input in errors ("access.ndjson:12: ..."); the
	// default is "stdin".
	InputName string
	// Interactive is true when the output is a terminal: it is then flushed
	// after every record. Whatever its value, output is flushed before every
	// read that may block, so `tail -f log | streamctl pipe ...` shows each
	// result at once.
	Interactive bool
}

// Program is a compiled one-liner: it runs over a stream of records (api.md
// section 1, `pipe`). Build it with New, then call Run once.
//
// Evaluation: the record is bound to the global `_`; when it is a table (a
// JSON object, a CSV row) its fields are also readable as globals, and a
// field shadows a global of the same name (a field called "print" hides
// print for that record; use _G.print). A field the record lacks reads as
// the global of that name, usually nil. Assignments to globals that are not
// fields of the record go to the real globals, so `--begin 'n=0' 'n=n+1'
// --end 'print(n)'` counts. Results: nil and false drop the record, true
// writes the record's input bytes unchanged, anything else is written.
//
// Speed: the code is compiled once; the global names it reads are found in
// its bytecode and only those fields are decoded, into one reused
// environment table, unless the code reads `_` or can reach its environment
// (_G, getfenv, load, ...), in which case every field is decoded.
type Program struct {
	opts     Options
	progs    pipePrograms
	inCodec  codec.Codec // nil for the built-in text and JSON readers
	outCodec codec.Codec // nil unless outEncoder
	inKind   pipeInKind
	outKind  pipeOutKind
	source   string // InputName
	// params is the variant passing fields as parameters (params.go),
	// planned by the first worker of a JSON input; nil when none.
	params        *paramCode
	paramsPlanned bool
}

type pipeInKind int

const (
	inText pipeInKind = iota
	inJSON
	inGeneric // through a codec.Decoder
)

type pipeOutKind int

const (
	outAuto    pipeOutKind = iota // strings as is, numbers as Lua, tables as JSON
	outJSON                       // every value as JSON
	outEncoder                    // through a codec.Encoder, in the writer
)

// New checks the options and compiles the code. Compile errors are
// *exitcode.Error with code 2 reading "expr:1: syntax error near 'x'" (chunks
// "begin" and "end" likewise); so are unknown codecs. It starts nothing.
func New(opts Options) (*Program, error) {
	if opts.Workers <= 0 {
		opts.Workers = 1
	}
	if opts.InCodec == "" {
		opts.InCodec = "text"
	}
	if opts.OutCodec == "" {
		opts.OutCodec = "auto"
	}
	if opts.ChunkLines <= 0 {
		opts.ChunkLines = 1000
		if opts.Interactive && opts.Workers == 1 {
			opts.ChunkLines = 1
		}
	}
	if opts.InputName == "" {
		opts.InputName = "stdin"
	}
	p := &Program{opts: opts, source: opts.InputName}
	switch opts.InCodec {
	case "text":
		p.inKind = inText
	case "json":
		p.inKind = inJSON
	default:
		c, err := codec.Lookup(opts.InCodec)
		if err != nil {
			return nil, &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("input codec: %w", err)}
		}
		p.inKind, p.inCodec = inGeneric, c
	}
	switch opts.OutCodec {
	case "auto", "text":
		p.outKind = outAuto
	case "json":
		p.outKind = outJSON
	default:
		c, err := codec.Lookup(opts.OutCodec)
		if err != nil {
			return nil, &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("output codec: %w", err)}
		}
		p.outKind, p.outCodec = outEncoder, c
	}
	progs, err := compilePipe(opts.Expr, opts.Begin, opts.End)
	if err != nil {
		return nil, err
	}
	p.progs = progs
	return p, nil
}

// Run runs Begin, every record of in (nil: none), then End, writes the
// results to out (nil: discarded) and flushes it; it closes neither. It
// blocks until the input ends, an error stops it, or ctx is cancelled; it
// starts one goroutine that reads the input (unless in is a regular file)
// plus, with Workers > 1, one goroutine per worker, all ended before it
// returns except the reader when cancellation leaves it blocked in Read
// (the process is about to exit). On cancellation (SIGINT) reading stops,
// the records already read are evaluated, End runs with what they left in
// the globals (awk's END does not, but `tail -f log | streamctl pipe --end
// 'print(n)'` then Ctrl-C wants the totals), the output is flushed and
// exitcode.ErrInterrupted (exit 130) returned. Errors: bad input is a
// *connectors.BadInputError with exit code 3 ("stdin:12: invalid JSON:
// ..."), a Lua error exit code 1 ("expr:1: ... (record stdin:12)").
func (p *Program) Run(ctx context.Context, in io.Reader, out io.Writer) error {
	if in == nil {
		in = eofReader{}
	}
	if out == nil {
		out = io.Discard
	}
	in = newCtxReader(ctx, in)
	o := newPipeOutput(out, p.outCodec, p.opts.Interactive)
	o.source = p.source

	err := p.run(ctx, in, o)
	if ferr := o.finish(); err == nil {
		err = ferr
	} else if ferr != nil && errors.Is(err, exitcode.ErrInterrupted) {
		err = errors.Join(exitcode.ErrInterrupted, ferr)
	}
	return err
}

// run does the work of Run on the calling goroutine, with the Lua states
// it creates and closes.
func (p *Program) run(ctx context.Context, in io.Reader, o *pipeOutput) error {
	workers := make([]*pipeWorker, 0, p.opts.Workers)
	defer func() {
		for _, w := range workers {
			w.close()
		}
	}()
	for i := 0; i < p.opts.Workers; i++ {
		w, err := newPipeWorker(p)
		if err != nil {
			return err
		}
		workers = append(workers, w)
	}
	// Begin chunks, in worker order, before any record.
	for _, w := range workers {
		r := w.runOnce(w.begin, "begin")
		r.flush = true
		if err := o.write(r); err != nil {
			return err
		}
		if r.err != nil {
			return r.err
		}
	}
	var err error
	if len(workers) == 1 {
		err = p.runInline(ctx, in, o, workers[0])
	} else {
		err = p.runParallel(ctx, in, o, workers)
	}
	if err != nil && !errors.Is(err, exitcode.ErrInterrupted) {
		return err
	}
	// End chunks, in worker order, after the last record: also when a
	// signal stopped the input.
	interrupted := err
	for _, w := range workers {
		r := w.runOnce(w.end, "end")
		r.flush = true
		if err := o.write(r); err != nil {
			return err
		}
		if r.err != nil {
			return r.err
		}
	}
	return interrupted
}

// eofReader is an empty input.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// pipeMark is a value the output codec encodes at offset at of a result's
// bytes (outEncoder only).
type pipeMark struct {
	at  int
	v   any
	pos int64 // the position of the record it came from, 0 in --begin/--end
}

// pipeResult is what a worker made of a chunk: output bytes, values to
// encode between them, whether to flush after writing, and the error that
// stopped the chunk (written after the output before it).
type pipeResult struct {
	seq   int64
	out   []byte
	marks []pipeMark
	flush bool
	err   error
}

func (r *pipeResult) reset() {
	r.out = r.out[:0]
	clear(r.marks)
	r.marks = r.marks[:0]
	r.flush = false
	r.err = nil
}

// luaCallError makes a Lua runtime error in s into an exit-code-1 error
// naming the record when there is one.
func luaCallError(s *lua.State, err error, where string) error {
	msg := s.ErrorMessage(err)
	if where != "" {
		msg += " (record " + where + ")"
	}
	return &exitcode.Error{Code: exitcode.Runtime, Err: errors.New(msg)}
}
