package lua

import (
	"bufio"
	"context"
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
