package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"net/url"
	"sync"
	"time"

	"github.com/streamctl/streamctl/clock"
	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/codec"
)

// Stream formats.
const (
	FormatLines  = "lines"
	FormatNDJSON = "ndjson"
	FormatSSE    = "sse"
)

// StreamConfig is the configuration of a StreamSource: the Lua call
// http.stream(url, {format=, headers=, reconnect=, codec=}). Start from
// DefaultStreamConfig: the zero value of Reconnect is false.
type StreamConfig struct {
	// URL is fetched with GET; required, http or https.
	URL string
	// Format is "lines" (default), "ndjson" or "sse".
	Format string
	// Headers are sent with every request (one value each).
	Headers map[string]string
	// Reconnect makes the source reconnect, with backoff, after the end of
	// the body or an error; false ends it at the end of the first body.
	// Default true (DefaultStreamConfig, and Lua's reconnect=true).
	Reconnect bool
	// Codec decodes the data. "lines": a line codec reading the body
	// (default text: one string per line); "ndjson": default json; "sse":
	// Unmarshal of each event's data, default none (the data string).
	Codec codec.Codec
}

// DefaultStreamConfig returns the defaults for a stream of url: format
// "lines", Reconnect true.
func DefaultStreamConfig(url string) StreamConfig {
	return StreamConfig{URL: url, Format: FormatLines, Reconnect: true}
}

// StreamSource reads a long-lived HTTP response incrementally and emits a
// record per line, NDJSON document or server-sent event. Record.Source is
// the URL (password redacted). Run may be called once; Run starts no
// goroutines of its own (net/http does for the connection).
//
// Records:
//   - "lines": Value is the line decoded by the codec (a string for text),
//     Pos the line number counted from the first connection.
//   - "ndjson": Value is the decoded document; a line that is not JSON is a
//     record with Err = *connectors.BadInputError{Source: URL, Pos: line},
//     Raw the line, for the handler's on_error policy.
//   - "sse": Value is the event's data, a string or, with a Codec, its
//     decoding (a failure is a bad-input record as above, Pos the event
//     number); Meta is {"event": type ("message" by default), "id": last
//     event ID}.
//
// Lifecycle of Run:
//  1. GET the URL with Headers; for "sse" also Accept: text/event-stream
//     and, after the first connection, Last-Event-ID with the last event ID
//     seen (when not empty).
//  2. A 2xx response is read as it arrives: each record is emitted as soon
//     as its line (or event) is complete. 204 No Content ends Run with nil
//     (the SSE way for a server to say "stop").
//  3. At the end of the body, or on a connection error or 5xx status: with
//     Reconnect, wait and go to 1; the wait grows exponentially with jitter
//     (WithBackoff, default 500ms up to 30s), starts from the SSE "retry"
//     field when the server sent one, and is reset after a connection that
//     produced at least one record. Without Reconnect the end of the body
//     ends Run with nil and an error is returned. Every reconnect is logged
//     (WithLogger) at warn level.
//  4. A 4xx (or other non-2xx, non-5xx) status is fatal:
//     `GET http://x/y: 404 Not Found` (a *StatusError). So is an SSE line
//     longer than 1 MiB (WithMaxLineSize).
//
// Run returns ctx.Err() when ctx is done (the request is cancelled at once,
// even mid-read), and emit's error unchanged when emit fails.
type StreamSource struct {
	cfg   StreamConfig
	o     opts
	url   *url.URL
	name  string
	codec codec.Codec

	// Positions of an SSE stream (connectors.Positioned): the last event
	// ID restored before Run and the last one handed over since.
	mu        sync.Mutex
	restored  string
	handedOut string
	handed    bool
}

// NewStreamSource validates cfg and returns the source; nothing is fetched
// until Run. Options: WithHTTPClient (its Timeout, if any, cuts the stream),
// WithBackoff, WithMaxLineSize, WithLogger.
func NewStreamSource(cfg StreamConfig, opts ...Opt) (*StreamSource, error) {
	u, err := parseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("http.stream: url %q: %w", cfg.URL, err)
	}
	if cfg.Format == "" {
		cfg.Format = FormatLines
	}
	c := cfg.Codec
	switch cfg.Format {
	case FormatLines:
		if c == nil {
			c, _ = codec.Lookup("text")
		}
	case FormatNDJSON:
		if c == nil {
			c, _ = codec.Lookup("json")
		}
	case FormatSSE:
	default:
		return nil, fmt.Errorf(`http.stream: format must be "lines", "ndjson" or "sse", got %q`, cfg.Format)
	}
	return &StreamSource{cfg: cfg, o: newOpts(opts), url: u, name: u.Redacted(), codec: c}, nil
}

// Name returns the URL, its password redacted.
func (s *StreamSource) Name() string { return s.name }

// streamState is what carries over from one connection to the next.
type streamState struct {
	pos    int64 // records (lines, events) emitted or failed so far
	lastID string
	retry  time.Duration // the SSE retry field, 0 if none
}

// errStop ends Run with nil: a 204 response.
var errStop = errors.New("stop")

// emitError carries emit's error through connect, to be returned unchanged.
type emitError struct{ err error }

func (e *emitError) Error() string { return e.err.Error() }

// fatalError is a failure reconnecting cannot fix.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }

// Run reads the stream as described on StreamSource. It blocks until the
// stream ends, ctx is done or emit fails.
func (s *StreamSource) Run(ctx context.Context, emit func(context.Context, connectors.Record) error) error {
	var st streamState
	s.mu.Lock()
	st.lastID = s.restored
	s.mu.Unlock()
	failures := 0
	for {
		got, err := s.connect(ctx, &st, emit)
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		var ee *emitError
		var fe *fatalError
		switch {
		case errors.As(err, &ee):
			return ee.err
		case errors.Is(err, errStop):
			return nil
		case errors.As(err, &fe):
			return fe.err
		case !s.cfg.Reconnect:
			return err
		}
		if got {
			failures = 0
		}
		d := s.o.backoff.delay(failures, st.retry)
		s.o.logger.Warn("http stream reconnecting", "url", s.name, "err", errString(err), "delay", d)
		if err := clock.Or(s.o.clock).Sleep(ctx, d); err != nil {
			return err
		}
		failures++
	}
}

func errString(err error) string {
	if err == nil {
		return "end of body"
	}
	return err.Error()
}

// connect makes one request and emits what it reads; got reports at least one
// record. A nil error means the body ended.
func (s *StreamSource) connect(ctx context.Context, st *streamState, emit func(context.Context, connectors.Record) error) (got bool, err error) {
	req, err := nethttp.NewRequestWithContext(ctx, nethttp.MethodGet, s.url.String(), nil)
	if err != nil {
		return false, &fatalError{fmt.Errorf("GET %s: %w", s.name, err)}
	}
	if s.cfg.Format == FormatSSE {
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set("Cache-Control", "no-cache")
		if st.lastID != "" {
			req.Header.Set("Last-Event-ID", st.lastID)
		}
	}
	setHeaders(req, s.cfg.Headers)
	resp, err := s.o.client.Do(req)
	if err != nil {
		return false, fmt.Errorf("GET %s: %w", s.name, unwrapURLError(err))
	}
	defer resp.Body.Close()
	switch code := resp.StatusCode; {
	case code == nethttp.StatusNoContent:
		return false, errStop
	case code >= 200 && code <= 299:
	case code >= 500:
		return false, &StatusError{Method: "GET", URL: s.name, Status: code}
	default:
		return false, &fatalError{&StatusError{Method: "GET", URL: s.name, Status: code}}
	}
	if s.cfg.Format == FormatSSE {
		return s.readSSE(ctx, st, resp.Body, emit)
	}
	return s.readLines(ctx, st, resp.Body, emit)
}

// readLines decodes body with the line codec.
func (s *StreamSource) readLines(ctx context.Context, st *streamState, body io.Reader, emit func(context.Context, connectors.Record) error) (got bool, err error) {
	dec := s.codec.NewDecoder(body)
	base := st.pos
	for {
		v, raw, pos, err := dec.Decode()
		var de *codec.DecodeError
		switch {
		case err == nil:
		case errors.As(err, &de):
			if pos == 0 {
				pos = de.Pos
			}
		case err == io.EOF:
			return got, nil
		default:
			return got, fmt.Errorf("GET %s: read: %w", s.name, err)
		}
		st.pos = base + pos
		got = true
		rec := connectors.Record{Value: v, Source: s.name, Pos: st.pos}
		if de != nil {
			rec.Value = nil
			rec.Raw = append([]byte(nil), raw...)
			rec.Err = &connectors.BadInputError{Source: s.name, Pos: st.pos, Err: de}
		}
		if err := emit(ctx, rec); err != nil {
			return got, &emitError{err}
		}
		if de != nil && !de.Resync {
			// As ReaderSource: the codec cannot go on; the stream ends.
			return got, errStop
		}
	}
}

// readSSE parses body as an event stream.
func (s *StreamSource) readSSE(ctx context.Context, st *streamState, body io.Reader, emit func(context.Context, connectors.Record) error) (got bool, err error) {
	p := NewSSEReader(body, s.o.maxLine)
	for {
		ev, err := p.Next()
		if id, ok := p.LastEventID(); ok {
			st.lastID = id
		}
		if r := p.Retry(); r > 0 {
			st.retry = r
		}
		switch {
		case err == nil:
		case err == io.EOF:
			return got, nil
		case errors.Is(err, ErrLineTooLong), errors.Is(err, ErrEventTooLarge):
			return got, &fatalError{fmt.Errorf("GET %s: %w", s.name, err)}
		default:
			return got, fmt.Errorf("GET %s: read: %w", s.name, err)
		}
		st.pos++
		got = true
		rec := connectors.Record{
			Value:  ev.Data,
			Source: s.name,
			Pos:    st.pos,
			Meta:   map[string]any{"event": ev.Event, "id": ev.ID},
		}
		if s.codec != nil {
			v, err := s.codec.Unmarshal([]byte(ev.Data))
			if err != nil {
				rec.Value = nil
				rec.Raw = []byte(ev.Data)
				rec.Err = &connectors.BadInputError{Source: s.name, Pos: st.pos, Err: err}
			} else {
				rec.Value = v
			}
		}
		if err := emit(ctx, rec); err != nil {
			return got, &emitError{err}
		}
	}
}

// ssePosition is the position of an SSE stream kept with the state.
type ssePosition struct {
	ID string `json:"id"`
}

// PositionKey implements connectors.Positioned: "sse:" and the URL for an
// SSE stream; "" for lines and NDJSON, which cannot resume.
func (s *StreamSource) PositionKey() string {
	if s.cfg.Format != FormatSSE {
		return ""
	}
	return "sse:" + s.name
}

// Restore implements connectors.Positioned: the first request sends the
// stored last event ID as Last-Event-ID, so the server resumes after the
// last event whose effects were committed. Call it before Run.
func (s *StreamSource) Restore(pos []byte, _ func(context.Context) error) error {
	if len(pos) == 0 {
		return nil
	}
	var p ssePosition
	if err := json.Unmarshal(pos, &p); err != nil {
		return fmt.Errorf("http.stream %s: stored position %q: %w", s.name, pos, err)
	}
	s.mu.Lock()
	s.restored = p.ID
	s.mu.Unlock()
	return nil
}

// Emitted implements connectors.Positioned: the record's meta.id is the
// stream's last event ID after it.
func (s *StreamSource) Emitted(rec *connectors.Record) {
	v, _ := rec.MetaField("id")
	id, _ := v.(string)
	s.mu.Lock()
	s.handedOut, s.handed = id, true
	s.mu.Unlock()
}

// Position implements connectors.Positioned: {"id": last event ID}; nil
// before the first event.
func (s *StreamSource) Position() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.handed {
		return nil, nil
	}
	return json.Marshal(ssePosition{ID: s.handedOut})
}

// Committed implements connectors.Positioned; nothing to acknowledge.
func (s *StreamSource) Committed(context.Context, []byte) error { return nil }

var (
	_ connectors.Source     = (*StreamSource)(nil)
	_ connectors.Named      = (*StreamSource)(nil)
	_ connectors.Positioned = (*StreamSource)(nil)
)
