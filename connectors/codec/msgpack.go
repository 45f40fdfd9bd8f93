package codec

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/streamctl/streamctl/value"
)

// maxDecodeDepth bounds the nesting of decoded msgpack and Avro values.
const maxDecodeDepth = 1000

// msgpackCodec is "msgpack": a stream of concatenated msgpack values.
type msgpackCodec struct{}

// Name returns "msgpack".
func (msgpackCodec) Name() string { return "msgpack" }

// NewDecoder returns a decoder of concatenated msgpack values; pos counts
// values from 1. Maps become Objects in wire order (non-string keys are
// formatted as AppendText does, repeated keys keep the last value), arrays
// []any, integers int64 (uint64 above MaxInt64 a Number), floats float64, str
// string, bin []byte, nil nil, the timestamp extension (-1) an RFC 3339 UTC
// string and other extensions their payload as []byte. A truncated or
// malformed stream gives a *DecodeError without Resync, then io.EOF.
func (msgpackCodec) NewDecoder(r io.Reader) Decoder {
	d := &msgpackDecoder{rr: recReader{br: bufio.NewReaderSize(r, readBufSize)}}
	d.dec = msgpack.NewDecoder(&d.rr)
	return d
}

// NewEncoder returns an encoder writing each record as one msgpack value:
// Objects as maps in order, map[string]any with sorted keys.
func (msgpackCodec) NewEncoder(w io.Writer) Encoder {
	e := &msgpackEncoder{bw: bufWriter{w: w}}
	e.enc = msgpack.NewEncoder(&e.aw)
	return e
}

// Unmarshal decodes one msgpack value; trailing bytes are an error.
func (msgpackCodec) Unmarshal(data []byte) (any, error) {
	br := bytes.NewReader(data)
	dec := msgpack.GetDecoder()
	defer msgpack.PutDecoder(dec)
	dec.Reset(br)
	m := msgpackValues{dec: dec, r: br}
	v, err := m.value(0)
	if err != nil {
		return nil, msgpackError(err)
	}
	if br.Len() > 0 {
		return nil, fmt.Errorf("invalid msgpack: %d bytes after the value", br.Len())
	}
	return v, nil
}

// Marshal appends v as one msgpack value.
func (msgpackCodec) Marshal(dst []byte, v any) ([]byte, error) {
	aw := appendWriter{b: dst}
	enc := msgpack.GetEncoder()
	defer msgpack.PutEncoder(enc)
	enc.Reset(&aw)
	if err := encodeMsgpack(enc, v, 0); err != nil {
		return dst, err
	}
	return aw.b, nil
}

type msgpackDecoder struct {
	rr   recReader
	dec  *msgpack.Decoder
	n    int64
	done bool
}

func (d *msgpackDecoder) Decode() (any, []byte, int64, error) {
	if d.done {
		return nil, nil, 0, io.EOF
	}
	d.rr.rec = d.rr.rec[:0]
	if _, err := d.rr.br.Peek(1); err != nil {
		d.done = true
		return nil, nil, 0, err
	}
	d.n++
	m := msgpackValues{dec: d.dec, r: &d.rr}
	v, err := m.value(0)
	if err != nil {
		d.done = true
		var de *DecodeError
		if errors.As(err, &de) {
			return nil, d.rr.rec, d.n, err
		}
		if !isEOF(err) && !errors.As(err, new(*syntaxError)) && !isMsgpackFormatError(err) {
			return nil, nil, 0, err // a read error of the underlying reader
		}
		return nil, d.rr.rec, d.n, &DecodeError{Pos: d.n, Err: msgpackError(err)}
	}
	return v, d.rr.rec, d.n, nil
}

// isMsgpackFormatError reports whether err comes from the msgpack library
// rejecting its input (its errors start with "msgpack:").
func isMsgpackFormatError(err error) bool {
	s := err.Error()
	return len(s) >= 8 && s[:8] == "msgpack:"
}

func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

type syntaxError struct{ msg string }

func (e *syntaxError) Error() string { return e.msg }

// msgpackError words a decoding failure as `invalid msgpack: ...`.
func msgpackError(err error) error {
	if isEOF(err) {
		return errors.New("invalid msgpack: unexpected end of input")
	}
	msg := err.Error()
	if isMsgpackFormatError(err) {
		msg = msg[len("msgpack:"):]
		for len(msg) > 0 && msg[0] == ' ' {
			msg = msg[1:]
		}
	}
	return errors.New("invalid msgpack: " + truncate(msg, 200))
}

// msgpackValues decodes values from dec, whose input is r.
type msgpackValues struct {
	dec *msgpack.Decoder
	r   io.Reader
}

func (m *msgpackValues) value(depth int) (any, error) {
	if depth >= maxDecodeDepth {
		return nil, &syntaxError{fmt.Sprintf("values nested deeper than %d", maxDecodeDepth)}
	}
	c, err := m.dec.PeekCode()
	if err != nil {
		return nil, err
	}
	switch {
	case c == msgpcode.Nil:
		return nil, m.dec.DecodeNil()
	case c == msgpcode.True || c == msgpcode.False:
		return m.dec.DecodeBool()
	case msgpcode.IsFixedNum(c), c == msgpcode.Int8, c == msgpcode.Int16, c == msgpcode.Int32,
		c == msgpcode.Int64, c == msgpcode.Uint8, c == msgpcode.Uint16, c == msgpcode.Uint32:
		return m.dec.DecodeInt64()
	case c == msgpcode.Uint64:
		u, err := m.dec.DecodeUint64()
		if err != nil {
			return nil, err
		}
		if u > math.MaxInt64 {
			return value.Number(strconv.FormatUint(u, 10)), nil
		}
		return int64(u), nil
	case c == msgpcode.Float || c == msgpcode.Double:
		return m.dec.DecodeFloat64()
	case msgpcode.IsString(c):
		return m.dec.DecodeString()
	case msgpcode.IsBin(c):
		n, err := m.dec.DecodeBytesLen()
		if err != nil {
			return nil, err
		}
		return readBounded(m.r, n)
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		n, err := m.dec.DecodeArrayLen()
		if err != nil {
			return nil, err
		}
		out := make([]any, 0, min(max(n, 0), 1024))
		for range n {
			v, err := m.value(depth + 1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		n, err := m.dec.DecodeMapLen()
		if err != nil {
			return nil, err
		}
		out := make(value.Object, 0, min(max(n, 0), 1024))
		for range n {
			k, err := m.value(depth + 1)
			if err != nil {
				return nil, err
			}
			v, err := m.value(depth + 1)
			if err != nil {
				return nil, err
			}
			out = append(out, value.Member{Key: keyString(k), Value: v})
		}
		return dedupe(out), nil
	case msgpcode.IsExt(c):
		id, n, err := m.dec.DecodeExtHeader()
		if err != nil {
			return nil, err
		}
		b, err := readBounded(m.r, n)
		if err != nil {
			return nil, err
		}
		if id == -1 {
			if t, ok := msgpackTime(b); ok {
				return t.UTC().Format(time.RFC3339Nano), nil
			}
		}
		return b, nil
	}
	return nil, &syntaxError{fmt.Sprintf("invalid code 0x%02x", c)}
}

// msgpackTime decodes the payload of the timestamp extension.
func msgpackTime(b []byte) (time.Time, bool) {
	switch len(b) {
	case 4:
		return time.Unix(int64(binary.BigEndian.Uint32(b)), 0), true
	case 8:
		v := binary.BigEndian.Uint64(b)
		return time.Unix(int64(v&(1<<34-1)), int64(v>>34)), true
	case 12:
		return time.Unix(int64(binary.BigEndian.Uint64(b[4:])), int64(binary.BigEndian.Uint32(b))), true
	}
	return time.Time{}, false
}

// keyString formats a decoded map key as a string.
func keyString(k any) string {
	switch x := k.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	b, err := AppendText(nil, k)
	if err != nil {
		return fmt.Sprint(k)
	}
	return string(b)
}

// readBounded reads n bytes without trusting n for the allocation: the
// buffer grows as data arrives.
func readBounded(r io.Reader, n int) ([]byte, error) {
	if n < 0 {
		return nil, nil
	}
	const chunk = 1 << 20
	b := make([]byte, 0, min(n, chunk))
	for len(b) < n {
		k := min(n-len(b), chunk)
		b = append(b, make([]byte, k)...)
		if _, err := io.ReadFull(r, b[len(b)-k:]); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// recReader keeps the bytes of the value being decoded. It is an
// io.ByteScanner, so the msgpack decoder reads through it without buffering.
type recReader struct {
	br  *bufio.Reader
	rec []byte
}

func (r *recReader) Read(p []byte) (int, error) {
	n, err := r.br.Read(p)
	r.rec = append(r.rec, p[:n]...)
	return n, err
}

func (r *recReader) ReadByte() (byte, error) {
	c, err := r.br.ReadByte()
	if err == nil {
		r.rec = append(r.rec, c)
	}
	return c, err
}

func (r *recReader) UnreadByte() error {
	err := r.br.UnreadByte()
	if err == nil && len(r.rec) > 0 {
		r.rec = r.rec[:len(r.rec)-1]
	}
	return err
}

// appendWriter is an io.Writer and io.ByteWriter appending to b.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *appendWriter) WriteByte(c byte) error {
	w.b = append(w.b, c)
	return nil
}

func (w *appendWriter) WriteString(s string) (int, error) {
	w.b = append(w.b, s...)
	return len(s), nil
}

type msgpackEncoder struct {
	bw  bufWriter
	aw  appendWriter
	enc *msgpack.Encoder
}

func (e *msgpackEncoder) Encode(v any) error {
	if e.bw.err != nil {
		return e.bw.err
	}
	e.aw.b = e.bw.buf
	n := len(e.aw.b)
	err := encodeMsgpack(e.enc, v, 0)
	if err != nil {
		e.bw.buf = e.aw.b[:n]
		return err
	}
	e.bw.buf = e.aw.b
	return e.bw.maybeFlush()
}

func (e *msgpackEncoder) Flush() error { return e.bw.flush() }

// encodeMsgpack writes v to enc, whose writer never fails.
func encodeMsgpack(enc *msgpack.Encoder, v any, depth int) error {
	switch x := v.(type) {
	case nil:
		return enc.EncodeNil()
	case bool:
		return enc.EncodeBool(x)
	case string:
		return enc.EncodeString(x)
	case []byte:
		return enc.EncodeBytes(x)
	case float64:
		return enc.EncodeFloat64(x)
	case value.Number:
		if n, ok := x.Int64(); ok {
			return enc.EncodeInt(n)
		}
		if u, err := strconv.ParseUint(string(x), 10, 64); err == nil {
			return enc.EncodeUint(u)
		}
		return enc.EncodeFloat64(x.Float64())
	case float32:
		return enc.EncodeFloat32(x)
	case int64:
		return enc.EncodeInt(x)
	case int:
		return enc.EncodeInt(int64(x))
	case int32:
		return enc.EncodeInt(int64(x))
	case int16:
		return enc.EncodeInt(int64(x))
	case int8:
		return enc.EncodeInt(int64(x))
	case uint64:
		return enc.EncodeUint(x)
	case uint:
		return enc.EncodeUint(uint64(x))
	case uint32:
		return enc.EncodeUint(uint64(x))
	case uint16:
		return enc.EncodeUint(uint64(x))
	case uint8:
		return enc.EncodeUint(uint64(x))
	case value.Object:
		if depth >= maxEncodeDepth {
			return errMsgpackTooDeep
		}
		if err := enc.EncodeMapLen(len(x)); err != nil {
			return err
		}
		for _, m := range x {
			if err := enc.EncodeString(m.Key); err != nil {
				return err
			}
			if err := encodeMsgpack(enc, m.Value, depth+1); err != nil {
				return err
			}
		}
		return nil
	case value.Table:
		if depth >= maxEncodeDepth {
			return errMsgpackTooDeep
		}
		if err := enc.EncodeMapLen(len(x)); err != nil {
			return err
		}
		for _, e := range x {
			if err := encodeMsgpack(enc, e.Key, depth+1); err != nil {
				return err
			}
			if err := encodeMsgpack(enc, e.Value, depth+1); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		if depth >= maxEncodeDepth {
			return errMsgpackTooDeep
		}
		if err := enc.EncodeMapLen(len(x)); err != nil {
			return err
		}
		for _, k := range sortedKeys(x) {
			if err := enc.EncodeString(k); err != nil {
				return err
			}
			if err := encodeMsgpack(enc, x[k], depth+1); err != nil {
				return err
			}
		}
		return nil
	case []any:
		if depth >= maxEncodeDepth {
			return errMsgpackTooDeep
		}
		if err := enc.EncodeArrayLen(len(x)); err != nil {
			return err
		}
		for _, el := range x {
			if err := encodeMsgpack(enc, el, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("cannot encode %T as msgpack", v)
}

var errMsgpackTooDeep = fmt.Errorf("cannot encode msgpack nested deeper than %d", maxEncodeDepth)
