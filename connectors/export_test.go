package connectors

import (
	"io"

	"github.com/streamctl/streamctl/connectors/codec"
)

// NewStdout returns the "stdout" sink writing to w (os.Stdout from the
// runtime). It never closes w.
func NewStdout(w io.Writer, c codec.Codec) *WriterSink { return NewWriterSink("stdout", w, c) }

// NewStderr returns the "stderr" sink writing to w (os.Stderr from the
// runtime). It never closes w.
func NewStderr(w io.Writer, c codec.Codec) *WriterSink { return NewWriterSink("stderr", w, c) }
