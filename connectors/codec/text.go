package codec

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/streamctl/streamctl/value"
)

// MaxLineSize is the longest line, in bytes without its "\n" or "\r\n", that
// the text and JSON decoders accept: 16 MiB.
//
// A line is the bytes before a "\n". A "\r" before it stays part of the
// line, as awk, grep and jq -R keep it: text is bytes, and a CRLF file
// passes through `pipe '_'` unchanged. A script that wants it gone writes
// line:gsub("\r$", "").
const MaxLineSize = 16 << 20

// readBufSize is the size of the decoders' read buffers.
const readBufSize = 64 << 10

// flushSize is how much an encoder buffers before writing to its writer.
const flushSize = 64 << 10

// textCodec is "text": one string per line.
type textCodec struct{}

// Name returns "text".
func (textCodec) Name() string { return "text" }

// NewDecoder returns a decoder of lines. Each record is the line as a string
// without its "\n" (a "\r" before it stays, see MaxLineSize); pos is the
// 1-based line number.
func (textCodec) NewDecoder(r io.Reader) Decoder {
	return &textDecoder{lr: newLineReader(r)}
}

// NewEncoder returns an encoder writing one line per record, as AppendText
// formats it.
func (textCodec) NewEncoder(w io.Writer) Encoder {
	return &textEncoder{bw: bufWriter{w: w}}
}

// Unmarshal returns data as a string, unchanged.
func (textCodec) Unmarshal(data []byte) (any, error) { return string(data), nil }

// Marshal appends v as AppendText formats it, without a newline.
func (textCodec) Marshal(dst []byte, v any) ([]byte, error) { return AppendText(dst, v) }

type textDecoder struct {
	lr *lineReader
}

// Offset implements Offsetter.
func (d *textDecoder) Offset() int64 { return d.lr.off }

func (d *textDecoder) Decode() (any, []byte, int64, error) {
	line, tooLong, err := d.lr.next()
	if err != nil {
		return nil, nil, 0, err
	}
	if tooLong {
		return nil, line, d.lr.line, &DecodeError{Pos: d.lr.line, Err: ErrLineTooLong, Resync: true}
	}
	return string(line), line, d.lr.line, nil
}

type textEncoder struct {
	bw bufWriter
}

func (e *textEncoder) Encode(v any) error {
	if e.bw.err != nil {
		return e.bw.err
	}
	n := len(e.bw.buf)
	b, err := AppendText(e.bw.buf, v)
	if err != nil {
		e.bw.buf = b[:n]
		return fmt.Errorf("text: %w", err)
	}
	e.bw.buf = append(b, '\n')
	return e.bw.maybeFlush()
}

func (e *textEncoder) Flush() error { return e.bw.flush() }

// AppendText appends v formatted as the text codec writes it, without a
// newline: strings and []byte as they are; integers in decimal; float64 as
// Lua (gopher-lua) prints it: integral values with |f| < 2^63 without a
// decimal point ("3"), others in shortest round-trip form ("0.1", "1e+21",
// "NaN", "+Inf"); booleans "true"/"false"; nil "null"; Object, []any and
// map[string]any as compact JSON (AppendJSON). Other types are an error.
// It is safe for concurrent use.
func AppendText(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return append(dst, x...), nil
	case []byte:
		return append(dst, x...), nil
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case float64:
		return appendLuaNumber(dst, x), nil
	case value.Number:
		return append(dst, x...), nil
	case float32:
		f := float64(x)
		if isIntegral(f) {
			return strconv.AppendInt(dst, int64(f), 10), nil
		}
		return strconv.AppendFloat(dst, f, 'g', -1, 32), nil
	case value.Object, []any, map[string]any:
		return AppendJSON(dst, v)
	}
	if b, ok := appendInteger(dst, v); ok {
		return b, nil
	}
	return dst, fmt.Errorf("cannot encode %T as text", v)
}

// appendLuaNumber formats f as gopher-lua's tostring does.
func appendLuaNumber(dst []byte, f float64) []byte {
	if isIntegral(f) {
		return strconv.AppendInt(dst, int64(f), 10)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// isIntegral reports whether f is a whole number that fits an int64 exactly
// enough to be printed as one (|f| < 2^63).
func isIntegral(f float64) bool {
	return f == math.Trunc(f) && f > -(1<<63) && f < 1<<63
}

// appendInteger appends the Go integer types of the data model in decimal.
func appendInteger(dst []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case int64:
		return strconv.AppendInt(dst, x, 10), true
	case int:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), true
	case uint64:
		return strconv.AppendUint(dst, x, 10), true
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10), true
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), true
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10), true
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10), true
	}
	return dst, false
}

// lineReader splits a stream into lines of at most MaxLineSize bytes.
type lineReader struct {
	br   *bufio.Reader
	long []byte // holds a line that did not fit br's buffer
	line int64  // number of the line last returned
	off  int64  // bytes consumed through the line last returned
	err  error  // sticky error, io.EOF after the last line
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, readBufSize)}
}

// next returns the next line without its "\n" (a "\r" before it stays),
// valid until the next call. A line longer than MaxLineSize is skipped to its end and reported
// with tooLong and its first bytes. At the end it returns io.EOF; other read
// errors are returned as they are, and again on later calls.
func (l *lineReader) next() (line []byte, tooLong bool, err error) {
	if l.err != nil {
		return nil, false, l.err
	}
	if cap(l.long) > 4*readBufSize {
		l.long = nil // do not keep a huge buffer after one long line
	}
	b, err := l.br.ReadSlice('\n')
	l.off += int64(len(b))
	switch err {
	case nil:
	case bufio.ErrBufferFull:
		return l.nextLong(b)
	default:
		l.err = err
		if len(b) == 0 || err != io.EOF {
			return nil, false, err
		}
	}
	l.line++
	return trimLF(b), false, nil
}

// nextLong goes on reading a line whose first bytes, first, filled the buffer.
func (l *lineReader) nextLong(first []byte) ([]byte, bool, error) {
	l.long = append(l.long[:0], first...)
	tooLong := false
	for {
		b, err := l.br.ReadSlice('\n')
		l.off += int64(len(b))
		if !tooLong {
			// Keep up to MaxLineSize+2 bytes: the content, "\r" and "\n".
			if len(l.long)+len(b) > MaxLineSize+2 {
				tooLong = true
				l.long = append(l.long, b[:MaxLineSize+2-len(l.long)]...)
			} else {
				l.long = append(l.long, b...)
			}
		}
		switch err {
		case nil:
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			l.err = err
		default:
			l.err = err
			return nil, false, err
		}
		break
	}
	l.line++
	if tooLong {
		return l.long[:MaxLineSize], true, nil
	}
	line := trimLF(l.long)
	if len(bytes.TrimSuffix(line, []byte{'\r'})) > MaxLineSize {
		return line[:MaxLineSize], true, nil
	}
	return line, false, nil
}

// trimLF strips a trailing "\n".
func trimLF(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}

// trimEOL strips a trailing "\n" and then a trailing "\r".
func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// isBlank reports whether b holds only JSON whitespace.
func isBlank(b []byte) bool {
	return len(bytes.Trim(b, " \t\r\n")) == 0
}

// bufWriter collects encoded records and writes them in large chunks. The
// first write error sticks.
type bufWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func (b *bufWriter) maybeFlush() error {
	if len(b.buf) >= flushSize {
		return b.flush()
	}
	return nil
}

func (b *bufWriter) flush() error {
	if b.err != nil {
		return b.err
	}
	if len(b.buf) == 0 {
		return nil
	}
	n, err := b.w.Write(b.buf)
	if err == nil && n < len(b.buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		b.err = fmt.Errorf("write: %w", err)
		return b.err
	}
	b.buf = b.buf[:0]
	return nil
}
