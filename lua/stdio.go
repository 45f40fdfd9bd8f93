package lua

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/codec"
)

// sharedWriter is the run's one buffer in front of stdout: every stdout sink
// (print, the default sink, stdout{codec=...}) encodes into it, so their
// outputs keep their order. It is flushed to the OS when the scheduler is
// idle and at the end. Safe for concurrent use.
type sharedWriter struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func newSharedWriter(w io.Writer) *sharedWriter {
	return &sharedWriter{w: bufio.NewWriterSize(w, 64<<10)}
}

func (s *sharedWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// flushOS writes the buffer to the underlying writer.
func (s *sharedWriter) flushOS() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Flush()
}

// eachFlushSink flushes its sink's encoder after every record: into the
// shared buffer, a copy, not a system call.
type eachFlushSink struct{ connectors.Sink }

func (e eachFlushSink) Write(ctx context.Context, r connectors.Record) error {
	if err := e.Sink.Write(ctx, r); err != nil {
		return err
	}
	return e.Sink.Flush(ctx)
}

// Unwrap returns the wrapped sink.
func (e eachFlushSink) Unwrap() connectors.Sink { return e.Sink }

// NewStdoutSink returns a sink writing records encoded with c to the run's
// stdout, in order with every other stdout output. It is registered with the
// run (flushed when idle, closed at the end) and safe for concurrent use.
func (rt *Runtime) NewStdoutSink(c codec.Codec) connectors.Sink {
	return rt.AddSink(eachFlushSink{connectors.NewWriterSink("stdout", rt.stdout, c)})
}

// StdinSource returns the run's one stdin source, decoding with c: every
// stdin{} of a script reads the same records (their handlers share them, as
// handlers of one source do), whatever the number of calls. Asking for it
// with another codec than the first call's is an error. Safe for concurrent
// use.
func (rt *Runtime) StdinSource(c codec.Codec) (*connectors.ReaderSource, error) {
	rt.stdinMu.Lock()
	defer rt.stdinMu.Unlock()
	if rt.stdinSrc == nil {
		rt.stdinSrc = connectors.NewStdin(rt.opts.Stdin, c)
	}
	if have := rt.stdinSrc.Codec.Name(); have != c.Name() {
		return nil, fmt.Errorf("%s is already read with codec %q", connectors.NameOf(rt.stdinSrc), have)
	}
	return rt.stdinSrc, nil
}
