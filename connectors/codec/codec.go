// Package codec turns bytes into records and back: text lines, NDJSON, CSV,
// raw bytes, msgpack and Avro. Codecs know nothing of Lua; they speak the data
// model of package value, which package lua maps to Lua values.
package codec

import (
	"io"
)

// Codec reads and writes one record format. A Codec is immutable and safe for
// concurrent use; its decoders and encoders are not.
type Codec interface {
	// Name is the codec's name as used in Lua and on the command line ("json").
	Name() string
	// NewDecoder returns a decoder reading a stream of records from r.
	NewDecoder(r io.Reader) Decoder
	// NewEncoder returns an encoder writing a stream of records to w.
	NewEncoder(w io.Writer) Encoder
	// Unmarshal decodes one whole message (a Kafka value, an SSE data field).
	Unmarshal(data []byte) (any, error)
	// Marshal appends the encoding of v as one message to dst.
	Marshal(dst []byte, v any) ([]byte, error)
}

// Decoder reads records one at a time.
type Decoder interface {
	// Decode returns the next record, its undecoded bytes (valid until the
	// next call) and its 1-based position (line or record number). At the end
	// of input it returns io.EOF. A record that cannot be decoded returns a
	// *DecodeError; the decoder stays usable and the next call reads the next
	// record when the format allows resynchronising (line formats do).
	Decode() (v any, raw []byte, pos int64, err error)
}

// Offsetter is implemented by decoders that know where their records end in
// the input: Offset returns the number of bytes consumed through the record
// Decode last returned (its line ending included). Sources that resume by
// byte offset (files) use it.
type Offsetter interface {
	Offset() int64
}

// Encoder writes records one at a time. Writes may be buffered until Flush.
type Encoder interface {
	Encode(v any) error
	// Flush writes buffered data to the underlying writer.
	Flush() error
}

// KeyString formats a Table key the way JSON object keys show it.
func KeyString(k any) string {
	switch x := k.(type) {
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	b, err := AppendText(nil, k)
	if err != nil {
		return ""
	}
	return string(b)
}

// DecodeError is a record that could not be decoded. Resync reports whether
// the decoder can go on with the next record.
type DecodeError struct {
	Pos    int64
	Err    error
	Resync bool
}

func (e *DecodeError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *DecodeError) Unwrap() error { return e.Err }
