package bindings

import (
	"context"
	nethttp "net/http"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/state"
)

// Fixtures stand in for the outside world of a run under `streamctl test`
// (package streamtest): the modules ask them for Kafka topics, HTTP streams,
// the HTTP client and file sinks instead of connecting, so a test feeds the
// script its records and sees what it wrote. Nil (Deps.Fixtures) in a real
// run. Implementations are safe for concurrent use.
type Fixtures interface {
	// Topic returns the topic standing for kafka.topic(name, ...), whose
	// values and keys use the given codecs. Called once per kafka.topic
	// call position.
	Topic(name string, value, key codec.Codec) KafkaTopic
	// Stream returns the source standing for http.stream(url, ...).
	Stream(url string) connectors.Source
	// FileSink returns the sink standing for file{path = path} written as
	// a sink (the file is left alone).
	FileSink(path string, c codec.Codec) connectors.Sink
	// HTTPClient returns the client of http.get, http.post and their sinks,
	// which answers with the test's responses.
	HTTPClient() *nethttp.Client
	// ServeAddr returns the address http.serve{addr = addr} listens on.
	ServeAddr(addr string) string
	// CacheOpened tells of a cache the run opened, so the test can read
	// what it holds once the run ended.
	CacheOpened(name string, c *state.Cache)
}

// KafkaTopic is what a Lua topic does: *kafka.Topic in a run, a
// fixture.Topic under `streamctl test`.
type KafkaTopic interface {
	connectors.Source
	connectors.Sink
	Name() string
	// Send produces one record and waits for its ack.
	Send(ctx context.Context, value, key any, headers map[string]string) error
	// Seek, Pause and Resume act on consuming.
	Seek(offsets map[int32]int64)
	Pause()
	Resume()
}
