package lua

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/streamctl/streamctl/connectors/codec"
)

// PipeOptions configures a Pipe: `streamctl pipe`. The zero value of every
// field but Expr is usable.
type PipeOptions struct {
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
	// (bindings.PipeModules()).
	Modules []Module
	// Logger is stored in each state as the "logger" value for the log
	// module; nil lets the module choose.
	Logger *slog.Logger
	// From is the input file; "" or "-" reads Stdin. Errors name it
	// ("access.ndjson:12: ..."), "stdin" otherwise.
	From string
	// To is the output file, created or truncated; "" or "-" writes Stdout.
	To string
	// Stdin and Stdout are the process's standard streams.
	Stdin  io.Reader
	Stdout io.Writer
	// Interactive is true when Stdout is a terminal: output is then flushed
	// after every record (and ignored when To names a file). Whatever its
	// value, output is flushed before every read that may block, so
	// `tail -f log | streamctl pipe ...` shows each result at once.
	Interactive bool
}

// Pipe runs a Lua one-liner over a stream of records (api.md section 1,
// `pipe`). Build it with NewPipe, then call Run once.
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
type Pipe struct {
	opts     PipeOptions
	progs    pipePrograms
	inCodec  codec.Codec // nil for the built-in text and JSON readers
	outCodec codec.Codec // nil unless outEncoder
	inKind   pipeInKind
	outKind  pipeOutKind
	source   string // "stdin" or From
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

// NewPipe checks the options and compiles the code. Compile errors are
// *ExitError with code 2 reading "expr:1: syntax error near 'x'" (chunks
// "begin" and "end" likewise); so are unknown codecs. It starts nothing.
func NewPipe(opts PipeOptions) (*Pipe, error) {
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
		if opts.Interactive && opts.Workers == 1 && (opts.To == "" || opts.To == "-") {
			opts.ChunkLines = 1
		}
	}
	if opts.Stdin == nil {
		opts.Stdin = eofReader{}
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	p := &Pipe{opts: opts, source: "stdin"}
	if opts.From != "" && opts.From != "-" {
		p.source = opts.From
	}
	switch opts.InCodec {
	case "text":
		p.inKind = inText
	case "json":
		p.inKind = inJSON
	default:
		c, err := codec.Lookup(opts.InCodec)
		if err != nil {
			return nil, &ExitError{Code: ExitUsage, Err: fmt.Errorf("input codec: %w", err)}
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
			return nil, &ExitError{Code: ExitUsage, Err: fmt.Errorf("output codec: %w", err)}
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

// Reads reports the global names the code reads (fields decoded per
// record) and whether it needs whole records (`_` or an escaping
// environment). It is meant for tests and diagnostics.
func (p *Pipe) Reads() (names []string, whole bool) {
	return append([]string(nil), p.progs.names...), p.progs.needRecord || p.progs.needAll
}

// Run opens From and To, runs Begin, every record, then End, and flushes
// the output. It blocks until the input ends, an error stops it, or ctx is
// cancelled; it starts one goroutine for the work plus, with Workers > 1,
// a reader and one goroutine per worker, all ended before it returns except
// on cancellation, where a reader blocked in Read is left behind (the
// process is about to exit). On cancellation the output produced so far is
// flushed and ErrInterrupted (exit 130) returned. Errors: bad input is a
// *connectors.BadInputError-compatible error with exit code 3 ("stdin:12:
// invalid JSON: ..."), a Lua error exit code 1 ("expr:1: ... (record
// stdin:12)"), an unopenable file exit code 2.
func (p *Pipe) Run(ctx context.Context) error {
	in := p.opts.Stdin
	if p.opts.From != "" && p.opts.From != "-" {
		f, err := os.Open(p.opts.From)
		if err != nil {
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("--from: %w", err)}
		}
		defer f.Close()
		in = f
	}
	out := p.opts.Stdout
	interactive := p.opts.Interactive
	var outFile *os.File
	if p.opts.To != "" && p.opts.To != "-" {
		f, err := os.Create(p.opts.To)
		if err != nil {
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("--to: %w", err)}
		}
		outFile, out, interactive = f, f, false
	}
	o := newPipeOutput(out, p.outCodec, interactive)
	o.source = p.source

	done := make(chan error, 1)
	go func() { done <- p.run(ctx, in, o) }()
	var err error
	select {
	case err = <-done:
		if ferr := o.finish(); err == nil {
			err = ferr
		}
	case <-ctx.Done():
		if ferr := o.finish(); ferr != nil {
			return errors.Join(ErrInterrupted, ferr)
		}
		return ErrInterrupted
	}
	if outFile != nil {
		if cerr := outFile.Close(); cerr != nil && err == nil {
			err = &ExitError{Code: ExitRuntime, Err: fmt.Errorf("--to: %w", cerr)}
		}
	}
	return err
}

// run does the work of Run on the calling goroutine, with the Lua states
// it creates and closes.
func (p *Pipe) run(ctx context.Context, in io.Reader, o *pipeOutput) error {
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
	if err != nil {
		return err
	}
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
	return nil
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

// luaCallError makes a Lua runtime error into an exit-code-1 error naming
// the record when there is one.
func luaCallError(err error, where string) error {
	msg := luaErrorMessage(err)
	if where != "" {
		msg += " (record " + where + ")"
	}
	return &ExitError{Code: ExitRuntime, Err: errors.New(msg)}
}
