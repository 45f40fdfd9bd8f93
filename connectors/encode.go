package connectors

import (
	"bufio"
	"io"

	"github.com/streamctl/streamctl/connectors/codec"
)

// sinkBufferSize is the write buffer of stdout, stderr and file sinks.
const sinkBufferSize = 64 << 10

// bufferedEncoder is the write path shared by WriterSink and FileSink: a codec
// encoder over a bufio.Writer over the destination. Not safe for concurrent use.
type bufferedEncoder struct {
	w   io.Writer
	bw  *bufio.Writer
	enc codec.Encoder
}

func newBufferedEncoder(w io.Writer, c codec.Codec) *bufferedEncoder {
	bw := bufio.NewWriterSize(w, sinkBufferSize)
	return &bufferedEncoder{w: w, bw: bw, enc: c.NewEncoder(bw)}
}

// encode encodes v; the bytes may stay buffered until flush.
func (b *bufferedEncoder) encode(v any) error { return b.enc.Encode(v) }

// flush pushes the encoder's and our buffer to w, then flushes w itself when it
// has a Flush() error method (a *bufio.Writer handed in by the caller).
func (b *bufferedEncoder) flush() error {
	if err := b.enc.Flush(); err != nil {
		return err
	}
	if err := b.bw.Flush(); err != nil {
		return err
	}
	if f, ok := b.w.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}
