package lua

import (
	"context"
	"errors"
	"strconv"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/exitcode"
)

// The headers of a dead letter written to a Kafka topic: the record as it
// came in (key and value bytes, its own headers) with why and where it
// failed, under the names Kafka Streams' dead-letter queue uses (KIP-1034),
// so that the tools that read those read ours; what Kafka Streams has no
// header for goes under __streamctl.errors.
const (
	HeaderException = "__streams.errors.exception"
	HeaderMessage   = "__streams.errors.message"
	HeaderTopic     = "__streams.errors.topic"
	HeaderPartition = "__streams.errors.partition"
	HeaderOffset    = "__streams.errors.offset"
	HeaderHandler   = "__streamctl.errors.handler"
	HeaderSource    = "__streamctl.errors.source"
	HeaderAttempts  = "__streamctl.errors.attempts"
)

// exceptionName is the kind of a failure, the value of HeaderException.
func exceptionName(err error) string {
	switch {
	case errors.Is(err, ErrTimeout):
		return "streamctl.Timeout"
	case exitcode.Of(err) == exitcode.BadInput:
		return "streamctl.BadInput"
	}
	return "streamctl.HandlerError"
}

// writeDeadLetter writes a failed record to the handler's dead-letter
// Kafka topic (HandlerSpec.DeadLetterHeaders): its key, its value as it
// came in (the raw bytes of a Kafka record, else the decoded value), its
// headers, and the failure in more headers. Replaying it is producing it
// to its topic again.
func (in *instance) writeDeadLetter(rec *connectors.Record, err error) error {
	headers := map[string]any{}
	if h, ok := metaAs[map[string]any](rec, "headers"); ok {
		for k, v := range h {
			headers[k] = v
		}
	}
	headers[HeaderException] = exceptionName(err)
	headers[HeaderMessage] = err.Error()
	headers[HeaderHandler] = in.h.name
	headers[HeaderSource] = rec.Source
	headers[HeaderAttempts] = strconv.Itoa(in.attempt + 1)
	if t, ok := metaAs[string](rec, "topic"); ok {
		headers[HeaderTopic] = t
	}
	if p, ok := rec.MetaInt("partition"); ok {
		headers[HeaderPartition] = strconv.FormatInt(p, 10)
	}
	if o, ok := rec.MetaInt("offset"); ok {
		headers[HeaderOffset] = strconv.FormatInt(o, 10)
	}
	var v any = rec.Value
	if rec.Raw != nil {
		v = append([]byte(nil), rec.Raw...)
	}
	out := connectors.Record{Value: v, Key: rec.Key, Time: rec.Time, Source: rec.Source, Pos: rec.Pos,
		Meta: map[string]any{"headers": headers}}
	return in.spec.ErrSink.Go.Write(context.Background(), out)
}

// metaAs returns the metadata field k of rec when it is a T.
func metaAs[T any](rec *connectors.Record, k string) (T, bool) {
	v, _ := rec.MetaField(k)
	t, ok := v.(T)
	return t, ok
}
