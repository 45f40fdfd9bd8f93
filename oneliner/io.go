package oneliner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/exitcode"
)

// Input and output of a pipe.
//
// Inputs in any codec but "text" and "json" are read through the codec's
// Decoder and results in any output codec but "auto" and "json" written
// through its Encoder, the codecs of `streamctl run`'s sources and sinks
// (connectors/codec). Text and NDJSON input and auto and JSON output are
// read and written here instead, because run's path (connectors.ReaderSource:
// one decoded value and one Record per line, handed on one at a time) cannot
// give the pipe two things its speed rests on: batches of lines that point
// into one read buffer, from which the JSON path converts only the fields
// the code reads, straight into Lua (see worker.go); and knowing, before a
// Read that may block, that no whole line is buffered, so that output is
// flushed first (`tail -f log | streamctl pipe ...`). Errors are the
// connectors' (connectors.BadInputError) all the same.

// pipeReadBuf is the initial size of the pipe's input buffer; it grows for
// lines longer than that, up to codec.MaxLineSize.
const pipeReadBuf = 256 << 10

// pipeWriteBuf is the size of the pipe's output buffer.
const pipeWriteBuf = 64 << 10

// pipeChunk is a batch of records handed to a worker.
type pipeChunk struct {
	seq   int64
	lines [][]byte // input bytes of each record, without the line end
	vals  []any    // inGeneric: the decoded records
	poss  []int64  // inGeneric: the position of each record
	first int64    // line input: the line number of lines[0]
	open  bool     // line input: the last line ended the input without a "\n"
	flush bool     // the input had nothing more buffered after this chunk
	err   error    // input error after the records (bad input, read error)

	data []byte // holds the lines when the chunk owns them
	offs []int  // end offset in data of each line while adding
}

func (c *pipeChunk) pos(i int) int64 {
	if c.poss != nil {
		return c.poss[i]
	}
	return c.first + int64(i)
}

func (c *pipeChunk) reset() {
	clear(c.lines)
	c.lines = c.lines[:0]
	clear(c.vals)
	c.vals = c.vals[:0]
	if c.poss != nil {
		c.poss = c.poss[:0]
	}
	c.data, c.offs = c.data[:0], c.offs[:0]
	c.seq, c.first, c.open, c.flush, c.err = 0, 0, false, false, nil
}

// addOwned copies raw into the chunk's own storage; seal makes the lines.
func (c *pipeChunk) addOwned(raw []byte) {
	c.data = append(c.data, raw...)
	c.offs = append(c.offs, len(c.data))
}

func (c *pipeChunk) seal() {
	c.lines = c.lines[:0]
	start := 0
	for _, end := range c.offs {
		c.lines = append(c.lines, c.data[start:end:end])
		start = end
	}
}

// copyFrom makes c an owning copy of src (whose lines may point into the
// reader's buffer).
func (c *pipeChunk) copyFrom(src *pipeChunk) {
	c.reset()
	for _, l := range src.lines {
		c.addOwned(l)
	}
	c.seal()
	c.vals = append(c.vals, src.vals...)
	if src.poss != nil {
		c.poss = append(c.poss[:0], src.poss...)
	} else {
		c.poss = nil
	}
	c.first, c.open, c.flush, c.err = src.first, src.open, src.flush, src.err
}

// pipeLineReader splits input into lines in one growing buffer and tells
// whether a complete line is buffered, so the pipe can flush its output
// before a read that may block.
type pipeLineReader struct {
	r      io.Reader
	source string
	buf    []byte
	start  int // first byte of the next line
	scan   int // bytes before scan hold no '\n' after start
	end    int
	eof    bool
	line   int64 // number of the line last returned
	open   bool  // the line last returned ended the input without a "\n"
	// tooLong: line lr.line is longer than codec.MaxLineSize; next
	// returns no more lines and fill reports it.
	tooLong bool
}

func newPipeLineReader(r io.Reader, source string) *pipeLineReader {
	return &pipeLineReader{r: r, source: source, buf: make([]byte, pipeReadBuf)}
}

// next returns the next buffered line without its "\n" (a "\r" before it
// stays, as in the text codec), valid until the next fill. ok is false when
// a read is needed first.
func (lr *pipeLineReader) next() (line []byte, ok bool) {
	if lr.tooLong {
		return nil, false
	}
	if i := bytes.IndexByte(lr.buf[lr.scan:lr.end], '\n'); i >= 0 {
		j := lr.scan + i
		line = lr.buf[lr.start:j]
		lr.start, lr.scan = j+1, j+1
	} else if lr.eof && lr.start < lr.end {
		line = lr.buf[lr.start:lr.end]
		lr.start, lr.scan = lr.end, lr.end
		lr.open = true
	} else {
		lr.scan = lr.end
		return nil, false
	}
	lr.line++
	// A "\r" before the "\n" is not counted, as in the text codec.
	if len(bytes.TrimSuffix(line, []byte{'\r'})) > codec.MaxLineSize {
		lr.tooLong = true // fill reports it
		return nil, false
	}
	return line, true
}

// fill reads more input and may block. It returns io.EOF when the input
// is exhausted and every line was returned, and a bad input error
// (codec.ErrLineTooLong) when a line is longer than codec.MaxLineSize.
func (lr *pipeLineReader) fill() error {
	if lr.tooLong {
		return &connectors.BadInputError{Source: lr.source, Pos: lr.line, Err: codec.ErrLineTooLong}
	}
	// next found no line end: what is buffered is the start of one line,
	// which may hold MaxLineSize bytes and a "\r".
	if lr.end-lr.start > codec.MaxLineSize+1 {
		return &connectors.BadInputError{Source: lr.source, Pos: lr.line + 1, Err: codec.ErrLineTooLong}
	}
	if lr.eof {
		return io.EOF
	}
	if lr.start > 0 {
		n := copy(lr.buf, lr.buf[lr.start:lr.end])
		lr.scan -= lr.start
		lr.end, lr.start = n, 0
	}
	if lr.end == len(lr.buf) {
		nb := make([]byte, 2*len(lr.buf))
		copy(nb, lr.buf[:lr.end])
		lr.buf = nb
	}
	for {
		n, err := lr.r.Read(lr.buf[lr.end:])
		lr.end += n
		if err == io.EOF {
			lr.eof = true
			return nil
		}
		if err == exitcode.ErrInterrupted {
			return err
		}
		if err != nil {
			return &exitcode.Error{Code: exitcode.Runtime, Err: fmt.Errorf("read %s: %w", lr.source, err)}
		}
		if n > 0 {
			return nil
		}
	}
}

// chunk reads the input and calls send with batches of at most max
// records. A batch ends early, with flush set, when the next read may
// block. send must not keep the chunk or its lines. Input errors travel in
// the last chunk, after the records before them.
func (p *Program) chunk(ctx context.Context, in io.Reader, max int, send func(*pipeChunk) error) error {
	if p.inKind == inGeneric {
		return p.chunkDecoded(ctx, in, max, send)
	}
	lr := newPipeLineReader(in, p.source)
	c := &pipeChunk{}
	flushed := true
	for {
		line, ok := lr.next()
		if ok {
			if len(c.lines) == 0 {
				c.first = lr.line
			}
			c.lines = append(c.lines, line)
			c.open = lr.open
			if len(c.lines) >= max {
				if err := send(c); err != nil {
					return err
				}
				c.reset()
				flushed = false
			}
			continue
		}
		if len(c.lines) > 0 || !flushed {
			c.flush = true
			if err := send(c); err != nil {
				return err
			}
			c.reset()
			flushed = true
		}
		if ctx.Err() != nil {
			return exitcode.ErrInterrupted
		}
		if err := lr.fill(); err != nil {
			if err == io.EOF {
				return nil
			}
			c.err, c.flush = err, true
			return send(c)
		}
	}
}

// hookReader calls before ahead of every Read of r, which may block.
type hookReader struct {
	r      io.Reader
	before func() error
}

func (h *hookReader) Read(b []byte) (int, error) {
	if err := h.before(); err != nil {
		return 0, err
	}
	return h.r.Read(b)
}

// chunkDecoded is chunk for inputs decoded by a codec.Decoder.
func (p *Program) chunkDecoded(ctx context.Context, in io.Reader, max int, send func(*pipeChunk) error) error {
	c := &pipeChunk{poss: []int64{}}
	flushed := true
	var stop error
	sendPending := func(flush bool) error {
		c.seal()
		c.flush = flush
		if err := send(c); err != nil {
			return err
		}
		c.reset()
		flushed = flush
		return nil
	}
	hr := &hookReader{r: in, before: func() error {
		if len(c.vals) > 0 || !flushed {
			if err := sendPending(true); err != nil {
				stop = err
				return err
			}
		}
		if ctx.Err() != nil {
			stop = exitcode.ErrInterrupted
			return stop
		}
		return nil
	}}
	dec := p.inCodec.NewDecoder(hr)
	for {
		v, raw, pos, err := dec.Decode()
		if stop != nil {
			return stop
		}
		if err == io.EOF {
			if len(c.vals) > 0 {
				return sendPending(true)
			}
			return nil
		}
		if err != nil {
			var de *codec.DecodeError
			if errors.Is(err, exitcode.ErrInterrupted) {
				c.err = exitcode.ErrInterrupted
			} else if errors.As(err, &de) {
				c.err = &connectors.BadInputError{Source: p.source, Pos: de.Pos, Err: de.Err}
			} else {
				c.err = &exitcode.Error{Code: exitcode.Runtime, Err: fmt.Errorf("read %s: %w", p.source, err)}
			}
			return sendPending(true)
		}
		c.vals = append(c.vals, v)
		c.poss = append(c.poss, pos)
		c.addOwned(raw)
		if len(c.vals) >= max {
			if err := sendPending(false); err != nil {
				return err
			}
		}
	}
}

// ctxReader is an input whose Read returns exitcode.ErrInterrupted once ctx is
// done, also while the underlying Read blocks on a quiet input (`tail -f
// log | streamctl pipe`): that Read runs on a goroutine of its own, into a
// buffer of the ctxReader's, so that a Read finishing after the
// interruption writes nothing the caller still uses. The goroutine ends at
// the first error of the underlying Read (io.EOF included) or when ctx is
// done. A ctxReader is used by one goroutine at a time.
type ctxReader struct {
	ctx  context.Context
	r    io.Reader
	buf  []byte
	req  chan []byte // to the reading goroutine, nil until the first Read
	res  chan ctxRead
	busy bool  // a read was requested and its result not taken
	err  error // the underlying Read's error, sticky
}

type ctxRead struct {
	n   int
	err error
}

// newCtxReader returns r as a ctxReader, or r itself when it is a regular
// file, whose reads do not wait for a writer.
func newCtxReader(ctx context.Context, r io.Reader) io.Reader {
	if f, ok := r.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			return r
		}
	}
	return &ctxReader{ctx: ctx, r: r}
}

func (c *ctxReader) Read(b []byte) (int, error) {
	if c.ctx.Err() != nil {
		return 0, exitcode.ErrInterrupted
	}
	if c.err != nil {
		return 0, c.err
	}
	if !c.busy {
		if c.req == nil {
			c.req, c.res = make(chan []byte), make(chan ctxRead, 1)
			go c.loop()
		}
		if len(c.buf) < len(b) {
			c.buf = make([]byte, len(b))
		}
		select {
		case c.req <- c.buf[:len(b)]:
		case <-c.ctx.Done():
			return 0, exitcode.ErrInterrupted
		}
		c.busy = true
	}
	select {
	case r := <-c.res:
		c.busy, c.err = false, r.err
		return copy(b, c.buf[:r.n]), r.err
	case <-c.ctx.Done():
		return 0, exitcode.ErrInterrupted
	}
}

// loop reads what Read asks for until an error or ctx is done.
func (c *ctxReader) loop() {
	for {
		select {
		case buf := <-c.req:
			n, err := c.r.Read(buf)
			c.res <- ctxRead{n, err}
			if err != nil {
				return
			}
		case <-c.ctx.Done():
			return
		}
	}
}

// runInline evaluates every record on the calling goroutine (one worker).
func (p *Program) runInline(ctx context.Context, in io.Reader, o *pipeOutput, w *pipeWorker) error {
	r := &pipeResult{}
	return p.chunk(ctx, in, p.opts.ChunkLines, func(c *pipeChunk) error {
		r.reset()
		w.process(c, r)
		if err := o.write(r); err != nil {
			return err
		}
		return r.err
	})
}

// runParallel reads chunks on one goroutine, evaluates them on one
// goroutine per worker and writes the results in input order on the
// calling goroutine. At most 4 chunks per worker are in flight.
func (p *Program) runParallel(ctx context.Context, in io.Reader, o *pipeOutput, workers []*pipeWorker) error {
	ctx2, cancel := context.WithCancel(ctx)
	defer cancel()
	n := len(workers)
	work := make(chan *pipeChunk, 2*n)
	results := make(chan *pipeResult, 2*n)
	tokens := make(chan struct{}, 4*n)
	chunks := sync.Pool{New: func() any { return &pipeChunk{} }}
	resPool := sync.Pool{New: func() any { return &pipeResult{} }}

	var seq int64
	go func() {
		defer close(work)
		_ = p.chunk(ctx2, in, p.opts.ChunkLines, func(c *pipeChunk) error {
			select {
			case tokens <- struct{}{}:
			case <-ctx2.Done():
				return exitcode.ErrInterrupted
			}
			nc := chunks.Get().(*pipeChunk)
			nc.copyFrom(c)
			nc.seq = seq
			seq++
			select {
			case work <- nc:
				return nil
			case <-ctx2.Done():
				return exitcode.ErrInterrupted
			}
		})
	}()

	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case c, ok := <-work:
					if !ok {
						return
					}
					r := resPool.Get().(*pipeResult)
					r.reset()
					w.process(c, r)
					chunks.Put(c)
					select {
					case results <- r:
					case <-ctx2.Done():
						return
					}
				case <-ctx2.Done():
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	pending := map[int64]*pipeResult{}
	var next int64
	var err error
	for r := range results {
		if err != nil {
			continue // draining after an error
		}
		pending[r.seq] = r
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			werr := o.write(r)
			if werr == nil {
				werr = r.err
			}
			resPool.Put(r)
			<-tokens
			if werr != nil {
				err = werr
				cancel()
				break
			}
		}
	}
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return exitcode.ErrInterrupted
	}
	return nil
}

// pipeOutput is the buffered output of a pipe, written in order by one
// goroutine at a time; finish flushes it once and makes later writes fail
// with exitcode.ErrInterrupted, so an interrupt can flush while work goes on.
type pipeOutput struct {
	mu          sync.Mutex
	bw          *bufio.Writer
	enc         codec.Encoder // outEncoder: encodes marks into bw
	source      string        // the input's name, for errors
	interactive bool
	done        bool
	err         error // first write error, sticky
}

func newPipeOutput(w io.Writer, c codec.Codec, interactive bool) *pipeOutput {
	o := &pipeOutput{bw: bufio.NewWriterSize(w, pipeWriteBuf), interactive: interactive}
	if c != nil {
		o.enc = c.NewEncoder(o.bw)
	}
	return o
}

// write writes a result's output, encoding its marks in place.
func (o *pipeOutput) write(r *pipeResult) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return exitcode.ErrInterrupted
	}
	if o.err != nil {
		return o.err
	}
	prev := 0
	for _, m := range r.marks {
		o.bw.Write(r.out[prev:m.at])
		prev = m.at
		if err := o.enc.Encode(m.v); err != nil {
			if m.pos > 0 {
				err = fmt.Errorf("%w (record %s:%d)", err, o.source, m.pos)
			}
			// A value the codec cannot write: what came before it is
			// written, as with bad input.
			if ferr := o.bw.Flush(); ferr != nil {
				err = errors.Join(err, ferr)
			}
			o.err = &exitcode.Error{Code: exitcode.Runtime, Err: fmt.Errorf("write output: %w", err)}
			return o.err
		}
		if err := o.enc.Flush(); err != nil {
			o.err = &exitcode.Error{Code: exitcode.Runtime, Err: fmt.Errorf("write output: %w", err)}
			return o.err
		}
	}
	o.bw.Write(r.out[prev:])
	if r.flush || o.interactive {
		if err := o.bw.Flush(); err != nil {
			o.err = &exitcode.Error{Code: exitcode.Runtime, Err: fmt.Errorf("write output: %w", err)}
			return o.err
		}
	}
	return nil
}

// finish flushes the output; later writes fail. It is safe to call from
// another goroutine than the writer's, and more than once.
func (o *pipeOutput) finish() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return o.err
	}
	o.done = true
	if o.err != nil {
		return o.err
	}
	if err := o.bw.Flush(); err != nil {
		o.err = &exitcode.Error{Code: exitcode.Runtime, Err: fmt.Errorf("write output: %w", err)}
	}
	return o.err
}
