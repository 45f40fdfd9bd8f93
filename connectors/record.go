// Package connectors holds the sources and sinks streamctl moves records
// between (stdio, files, timers, child processes), as plain Go with no Lua in
// them. Values inside a Record use the data model of package value.
package connectors

import (
	"context"
	"slices"
	"time"
)

// Record is one unit flowing from a source to handlers and sinks.
//
// Value holds a plain Go value of the data model (package value): nil (JSON
// null), bool, int64, float64, string, []byte, []any or value.Object. Source
// and Pos say where the record came from ("stdin", 12) so errors can name it.
type Record struct {
	Value any
	Key   any
	// Time is the event time, zero when the source has none.
	Time time.Time
	// Source names the source ("stdin", "file:app.log", "timer").
	Source string
	// Pos is the 1-based line (or record) number within Source, 0 if unknown.
	Pos int64
	// End is the byte offset just after the record in the input it was
	// read from, for sources that resume by offset (files); 0 if unknown.
	End int64
	// Meta carries source-specific metadata (Kafka topic, SSE event, ...).
	// Read it with MetaField and MetaKeys, which also see Fields.
	Meta map[string]any
	// Fields carries source-specific metadata as Meta does, without a map
	// per record (Kafka's topic, partition, offset and headers); a field
	// of Fields hides one of the same name in Meta.
	Fields MetaFields
	// Raw is the undecoded record when the source keeps it: always for bad
	// input, so dead-letter sinks can receive what was read.
	Raw []byte
	// Err is non-nil when the record could not be decoded (a *BadInputError);
	// Value is then nil. Handlers apply their on_error policy to it.
	Err error
	// Ack, when non-nil, is called once every sink accepted the record's
	// outputs (nil) or the record failed (non-nil).
	Ack func(error)
	// Valid, when non-nil, reports whether the record is still current when
	// a handler takes it from its buffer: false after a Kafka seek moved its
	// partition elsewhere. A stale record is dropped without being acked.
	Valid func() bool
}

// Where says where the record came from, for error messages: "stdin:12",
// just the source when Pos is 0, and "kafka:orders partition 2 offset 17"
// for a record whose metadata holds its partition and offset (Kafka's, whose
// offsets start at 0).
func (r *Record) Where() string {
	if p, ok := r.MetaInt("partition"); ok {
		if off, ok := r.MetaInt("offset"); ok {
			return r.Source + " partition " + itoa(p) + " offset " + itoa(off)
		}
	}
	if r.Pos > 0 {
		return r.Source + ":" + itoa(r.Pos)
	}
	return r.Source
}

// MetaFields is source metadata read field by field (Record.Fields): the
// same names and values a Meta map would hold.
type MetaFields interface {
	// MetaField returns the field named k.
	MetaField(k string) (any, bool)
	// MetaKeys appends the names of the fields to dst.
	MetaKeys(dst []string) []string
}

// MetaField returns the metadata field k: Fields' if it has k, else Meta's.
func (r *Record) MetaField(k string) (any, bool) {
	if r.Fields != nil {
		if v, ok := r.Fields.MetaField(k); ok {
			return v, true
		}
	}
	v, ok := r.Meta[k]
	return v, ok
}

// MetaInt returns the metadata field k when it is an int64 (a Kafka
// partition or offset).
func (r *Record) MetaInt(k string) (int64, bool) {
	v, _ := r.MetaField(k)
	i, ok := v.(int64)
	return i, ok
}

// MetaKeys appends the names of the metadata fields (Fields' and Meta's,
// each once) to dst, in no particular order.
func (r *Record) MetaKeys(dst []string) []string {
	n := len(dst)
	if r.Fields != nil {
		dst = r.Fields.MetaKeys(dst)
	}
	fields := dst[n:]
	for k := range r.Meta {
		if !slices.Contains(fields, k) {
			dst = append(dst, k)
		}
	}
	return dst
}

// Source produces records until it is exhausted (Run returns nil) or ctx is done.
// emit blocks while downstream is busy: that is the back-pressure. Run is called
// at most once; a Source is not safe for concurrent use.
type Source interface {
	Run(ctx context.Context, emit func(context.Context, Record) error) error
}

// Sink receives records in order. Write may buffer; Flush pushes buffered
// writes to the OS (or broker); Close flushes, releases resources, and is safe
// to call after a failed open and more than once. Sinks are called from one
// goroutine at a time; wrap them with Locked when several goroutines write.
type Sink interface {
	Write(ctx context.Context, r Record) error
	Flush(ctx context.Context) error
	Close(ctx context.Context) error
}

// Pauser is implemented by sources that can stop producing without losing
// their position (Kafka topics, followed files). Found by type assertion.
type Pauser interface {
	Pause()
	Resume()
}

// Acker is implemented by sinks whose Write returns before the record is
// durable (Kafka producers). For a record with a non-nil Ack, such a sink
// calls Ack exactly once, when the record was acknowledged (nil) or failed.
// Sinks that are not Ackers have accepted a record when Write returns nil.
type Acker interface {
	AcksWrites() bool
}

// WritesAcked reports whether s (or the sink it wraps, see Unwrap) calls
// Record.Ack itself.
func WritesAcked(s Sink) bool {
	for {
		if a, ok := s.(Acker); ok {
			return a.AcksWrites()
		}
		u, ok := s.(interface{ Unwrap() Sink })
		if !ok {
			return false
		}
		s = u.Unwrap()
	}
}

// Named is implemented by sources and sinks that have a display name
// used in logs, metrics and error messages.
type Named interface {
	Name() string
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
