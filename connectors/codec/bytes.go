package codec

import (
	"fmt"
	"io"
)

// bytesChunkSize is the most one bytes record holds.
const bytesChunkSize = 64 << 10

// bytesCodec is "bytes": raw chunks and messages.
type bytesCodec struct{}

// Name returns "bytes".
func (bytesCodec) Name() string { return "bytes" }

// NewDecoder returns a decoder that makes one []byte record of each Read of
// r, up to 64 KiB; pos is the 1-based chunk number. Chunk boundaries are
// whatever r returns: do not rely on them.
func (bytesCodec) NewDecoder(r io.Reader) Decoder {
	return &bytesDecoder{r: r}
}

// NewEncoder returns an encoder writing []byte and string records raw, with
// no separator; other values are written as AppendText formats them.
func (bytesCodec) NewEncoder(w io.Writer) Encoder {
	return &bytesEncoder{bw: bufWriter{w: w}}
}

// Unmarshal returns a copy of data.
func (bytesCodec) Unmarshal(data []byte) (any, error) {
	return append([]byte{}, data...), nil
}

// Marshal appends v raw ([]byte, string) or as AppendText formats it.
func (bytesCodec) Marshal(dst []byte, v any) ([]byte, error) {
	n := len(dst)
	b, err := AppendText(dst, v)
	if err != nil {
		return b[:n], fmt.Errorf("bytes: %w", err)
	}
	return b, nil
}

type bytesDecoder struct {
	r   io.Reader
	buf []byte
	n   int64
	err error
}

func (d *bytesDecoder) Decode() (any, []byte, int64, error) {
	if d.err != nil {
		return nil, nil, 0, d.err
	}
	if d.buf == nil {
		d.buf = make([]byte, bytesChunkSize)
	}
	for empty := 0; ; empty++ {
		n, err := d.r.Read(d.buf)
		if err != nil {
			d.err = err
		}
		if n > 0 {
			d.n++
			chunk := d.buf[:n]
			return append([]byte(nil), chunk...), chunk, d.n, nil
		}
		if err != nil {
			return nil, nil, 0, err
		}
		if empty >= 100 {
			d.err = io.ErrNoProgress
			return nil, nil, 0, d.err
		}
	}
}

type bytesEncoder struct {
	bw bufWriter
}

func (e *bytesEncoder) Encode(v any) error {
	if e.bw.err != nil {
		return e.bw.err
	}
	if b, ok := v.([]byte); ok && len(b) >= flushSize {
		// Write large chunks through instead of copying them.
		if err := e.bw.flush(); err != nil {
			return err
		}
		n, err := e.bw.w.Write(b)
		if err == nil && n < len(b) {
			err = io.ErrShortWrite
		}
		if err != nil {
			e.bw.err = fmt.Errorf("write: %w", err)
			return e.bw.err
		}
		return nil
	}
	n := len(e.bw.buf)
	b, err := AppendText(e.bw.buf, v)
	if err != nil {
		e.bw.buf = b[:n]
		return fmt.Errorf("bytes: %w", err)
	}
	e.bw.buf = b
	return e.bw.maybeFlush()
}

func (e *bytesEncoder) Flush() error { return e.bw.flush() }
