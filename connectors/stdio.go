package connectors

import (
	"context"
	"fmt"
	"io"

	"github.com/streamctl/streamctl/connectors/codec"
)

// NewStdin returns the "stdin" source: records decoded from r (the process's
// standard input, passed in by the runtime) with c. EOF ends it. It does not
// close r. Because a blocked read on a terminal or pipe cannot be interrupted,
// Run may return only after the next line arrives or r is closed; the runtime
// should share one stdin source per process.
func NewStdin(r io.Reader, c codec.Codec) *ReaderSource {
	return &ReaderSource{Name: "stdin", R: r, Codec: c}
}

// NewWriterSink returns a sink encoding record values to w with c.
func NewWriterSink(name string, w io.Writer, c codec.Codec) *WriterSink {
	return &WriterSink{Name: name, W: w, Codec: c}
}

// WriterSink encodes each record's Value with Codec and writes it to W through
// a 64 KiB buffer, for stdout and stderr. Output reaches W on Flush, on Close
// or when the buffer fills: the runtime decides when to flush (per record for
// terminals and slow pipe readers, api.md 1). Close flushes but never closes W.
//
// The zero value with W and Codec set is usable; NewWriterSink is a shorthand.
// Fields must not change after the first Write. Like every Sink it is not safe
// for concurrent use: wrap it with Locked. The field Name shadows the Named
// interface; use NameOf.
type WriterSink struct {
	// Name is used in errors ("stdout").
	Name string
	// W receives the encoded records; never closed by the sink.
	W io.Writer
	// Codec encodes record values; required.
	Codec codec.Codec

	be     *bufferedEncoder
	closed bool
}

// Write encodes r.Value; it may stay buffered until Flush. It blocks only when
// the buffer fills and W blocks. After Close it returns ErrClosed.
func (s *WriterSink) Write(ctx context.Context, r Record) error {
	if s.closed {
		return ErrClosed
	}
	if s.be == nil {
		if s.Codec == nil {
			return fmt.Errorf("write %s: no codec", s.Name)
		}
		s.be = newBufferedEncoder(s.W, s.Codec)
	}
	if err := s.be.encode(r.Value); err != nil {
		return fmt.Errorf("write %s: %w", s.Name, err)
	}
	return nil
}

// Flush writes buffered records to W and then calls W.Flush when W has one.
func (s *WriterSink) Flush(ctx context.Context) error {
	if s.be == nil {
		return nil
	}
	if err := s.be.flush(); err != nil {
		return fmt.Errorf("flush %s: %w", s.Name, err)
	}
	return nil
}

// Close flushes and makes later writes fail with ErrClosed. It does not close
// W. Calling it again returns nil.
func (s *WriterSink) Close(ctx context.Context) error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.Flush(ctx)
}

var _ Sink = (*WriterSink)(nil)
