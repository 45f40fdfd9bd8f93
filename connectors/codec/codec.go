// Package codec turns bytes into records and back: text lines, NDJSON, CSV,
// raw bytes, msgpack and Avro. Codecs know nothing of Lua; they speak the data
// model below, which package lua maps to Lua values.
//
// Data model: nil (JSON null), bool, int64, float64, string, []byte, []any
// (an array) and Object (a map that keeps its key order). Encoders also accept
// map[string]any (written in sorted key order), int, uint64 and float32.
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

// Object is a decoded map that keeps the order of its keys, as read from JSON,
// CSV or msgpack. Keys are unique.
type Object []Member

// Member is one key/value pair of an Object.
type Member struct {
	Key   string
	Value any
}

// Get returns the value at key and whether it exists.
func (o Object) Get(key string) (any, bool) {
	for i := range o {
		if o[i].Key == key {
			return o[i].Value, true
		}
	}
	return nil, false
}

// Table is a map whose keys are not all strings: a Lua table such as
// {1, 2, x = 3} or {[1] = "a", [3] = "c"}, in insertion order. Keys are
// string, bool, int64 or float64. The state encoding keeps it exactly; JSON
// and CSV write the keys as strings (numbers as Lua prints them), msgpack
// writes them as they are.
type Table []Entry

// Entry is one key/value pair of a Table.
type Entry struct {
	Key, Value any
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
