package state

import (
	"encoding/binary"
	"math"
)

// ValueBuilder writes a value in the encoding of EncodeValue piece by
// piece, depth first, for callers that walk a value of their own (a Lua
// table) and want its encoding without building the Go value first. Arrays
// and objects are opened, filled and closed with their element count, which
// need not be known when they open. The zero ValueBuilder is ready; Reset
// makes it reusable. Its Encoded value is what Cache.Put stores as is.
type ValueBuilder struct {
	b []byte
}

// Reset empties the builder, keeping its buffer.
func (w *ValueBuilder) Reset() { w.b = append(w.b[:0], valueVersion) }

func (w *ValueBuilder) buf() []byte {
	if len(w.b) == 0 {
		w.b = append(w.b, valueVersion)
	}
	return w.b
}

// Null writes nil (JSON null).
func (w *ValueBuilder) Null() { w.b = append(w.buf(), valNull) }

// Bool writes a boolean.
func (w *ValueBuilder) Bool(v bool) {
	if v {
		w.b = append(w.buf(), valTrue)
	} else {
		w.b = append(w.buf(), valFalse)
	}
}

// Int writes an int64.
func (w *ValueBuilder) Int(v int64) { w.b = binary.AppendVarint(append(w.buf(), valInt), v) }

// Float writes a float64.
func (w *ValueBuilder) Float(v float64) {
	w.b = binary.LittleEndian.AppendUint64(append(w.buf(), valFloat), math.Float64bits(v))
}

// String writes a string.
func (w *ValueBuilder) String(v string) {
	w.b = append(binary.AppendUvarint(append(w.buf(), valString), uint64(len(v))), v...)
}

// Open starts an array (object false) or an object: its elements (an
// object's as Key then the value) follow, then Close with the mark Open
// returns.
func (w *ValueBuilder) Open(object bool) int {
	tag := byte(valArray)
	if object {
		tag = valObject
	}
	w.b = append(w.buf(), tag, 0) // the count, one byte until Close knows it
	return len(w.b) - 1
}

// Key writes the key of the object member whose value follows.
func (w *ValueBuilder) Key(k string) {
	w.b = append(binary.AppendUvarint(w.b, uint64(len(k))), k...)
}

// Close ends the array or object opened at mark with n elements.
func (w *ValueBuilder) Close(mark, n int) {
	if n < 0x80 {
		w.b[mark] = byte(n)
		return
	}
	var cnt [binary.MaxVarintLen64]byte
	c := binary.PutUvarint(cnt[:], uint64(n))
	w.b = append(w.b, cnt[1:c]...) // room for the longer count
	copy(w.b[mark+c:], w.b[mark+1:len(w.b)-(c-1)])
	copy(w.b[mark:], cnt[:c])
}

// Encoded returns the value written, as EncodeValue would encode it; it
// stays valid until the next Reset.
func (w *ValueBuilder) Encoded() Encoded { return Encoded(w.buf()) }

// Encoded is a value in the encoding of EncodeValue (version byte first),
// built by a ValueBuilder. Cache.Put and the other writers store it as the
// value it encodes, without decoding it.
type Encoded []byte
