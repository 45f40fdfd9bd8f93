package http

import (
	"context"
	"errors"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/value"
)

func newStream(t *testing.T, cfg StreamConfig, opts ...Opt) *StreamSource {
	t.Helper()
	s, err := NewStreamSource(cfg, append([]Opt{fast}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStreamLinesIncremental checks a line is emitted while the response is
// still open: the server sends the second line only after the test got the
// first.
func TestStreamLinesIncremental(t *testing.T) {
	more := make(chan struct{})
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		io.WriteString(w, "first\n")
		w.(nethttp.Flusher).Flush()
		select {
		case <-more:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "second\r\nthird")
	}))
	defer srv.Close()
	cfg := DefaultStreamConfig(srv.URL + "/log")
	cfg.Reconnect = false
	recs, done := runSource(t, newStream(t, cfg))
	r := next(t, recs)
	if r.Value != "first" || r.Pos != 1 || r.Source != srv.URL+"/log" {
		t.Fatalf("record = %+v", r)
	}
	close(more)
	for i, want := range []string{"second\r", "third"} { // the text codec keeps a "\r"
		if r := next(t, recs); r.Value != want || r.Pos != int64(i+2) {
			t.Fatalf("record = %+v, want %q", r, want)
		}
	}
	if err := result(t, done); err != nil {
		t.Fatalf("Run = %v", err)
	}
}

func TestStreamNDJSONBadLine(t *testing.T) {
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		io.WriteString(w, "{\"a\":1}\nnot json\n\n[2]\n")
	}))
	defer srv.Close()
	recs, done := runSource(t, newStream(t, StreamConfig{URL: srv.URL, Format: "ndjson"}))
	if r := next(t, recs); r.Err != nil || !equalObject(r.Value, value.Object{{Key: "a", Value: int64(1)}}) {
		t.Fatalf("record 1 = %+v", r)
	}
	r := next(t, recs)
	var bad *connectors.BadInputError
	if !errors.As(r.Err, &bad) || bad.Source != srv.URL || bad.Pos != 2 || r.Value != nil || string(r.Raw) != "not json" {
		t.Fatalf("record 2 = %+v", r)
	}
	if !strings.HasPrefix(r.Err.Error(), srv.URL+":2: invalid JSON") {
		t.Errorf("err = %v", r.Err)
	}
	if r := next(t, recs); r.Err != nil || r.Pos != 4 {
		t.Fatalf("record 3 = %+v", r)
	}
	if err := result(t, done); err != nil {
		t.Fatalf("Run = %v", err)
	}
}

func equalObject(v any, want value.Object) bool {
	o, ok := v.(value.Object)
	if !ok || len(o) != len(want) {
		return false
	}
	for i := range o {
		if o[i] != want[i] {
			return false
		}
	}
	return true
}

// TestStreamSSEReconnect checks reconnects send Last-Event-ID and line
// numbers go on; a 503 in between is retried; 204 ends the stream.
func TestStreamSSEReconnect(t *testing.T) {
	var mu sync.Mutex
	var seen []string // Last-Event-ID of each request
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Last-Event-ID"))
		n := len(seen)
		mu.Unlock()
		if r.Header.Get("Accept") != "text/event-stream" || r.Header.Get("X-Key") != "k" {
			w.WriteHeader(400)
			return
		}
		switch n {
		case 1:
			io.WriteString(w, "retry: 1\nid: 1\ndata: one\n\nid: 1b\ndata: cut off")
		case 2:
			w.WriteHeader(503)
		case 3:
			io.WriteString(w, ": hi\r\nevent: tick\r\nid: 2\r\ndata: {\"n\":2}\r\n\r\nid: 3\r\n\r\n")
		default:
			w.WriteHeader(204)
		}
	}))
	defer srv.Close()
	logger, logs := newLogger()
	cfg := StreamConfig{URL: srv.URL, Format: "sse", Reconnect: true, Headers: map[string]string{"X-Key": "k"}}
	recs, done := runSource(t, newStream(t, cfg, WithLogger(logger)))
	r := next(t, recs)
	if r.Value != "one" || r.Pos != 1 || r.Meta["event"] != "message" || r.Meta["id"] != "1" {
		t.Fatalf("record 1 = %+v", r)
	}
	r = next(t, recs)
	if r.Value != `{"n":2}` || r.Pos != 2 || r.Meta["event"] != "tick" || r.Meta["id"] != "2" {
		t.Fatalf("record 2 = %+v", r)
	}
	if err := result(t, done); err != nil {
		t.Fatalf("Run = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(seen, ","); got != ",1,1,3" {
		t.Errorf("Last-Event-ID headers = %q, want \",1,1,3\"", got)
	}
	if l := logs.String(); !strings.Contains(l, "503 Service Unavailable") || !strings.Contains(l, "http stream reconnecting") {
		t.Errorf("logs = %s", l)
	}
}

func TestStreamSSECodec(t *testing.T) {
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		io.WriteString(w, "data: [1,\ndata: 2]\n\ndata: nope\n\n")
	}))
	defer srv.Close()
	j, _ := codec.Lookup("json")
	recs, done := runSource(t, newStream(t, StreamConfig{URL: srv.URL, Format: "sse", Codec: j}))
	if r := next(t, recs); r.Err != nil || len(r.Value.([]any)) != 2 {
		t.Fatalf("record 1 = %+v", r)
	}
	r := next(t, recs)
	var bad *connectors.BadInputError
	if !errors.As(r.Err, &bad) || bad.Pos != 2 || string(r.Raw) != "nope" {
		t.Fatalf("record 2 = %+v", r)
	}
	if err := result(t, done); err != nil {
		t.Fatalf("Run = %v", err)
	}
}

func TestStreamFatalStatus(t *testing.T) {
	srv, calls := statusServer(t, 404)
	_, done := runSource(t, newStream(t, DefaultStreamConfig(srv.URL+"/missing")))
	err := result(t, done)
	var se *StatusError
	if want := "GET " + srv.URL + "/missing: 404 Not Found"; err == nil || err.Error() != want || !errors.As(err, &se) {
		t.Errorf("Run = %v, want %q", err, want)
	}
	if calls.Load() != 1 {
		t.Errorf("calls = %d", calls.Load())
	}
}

func TestStreamNoReconnect(t *testing.T) {
	srv, _ := statusServer(t, 502)
	_, done := runSource(t, newStream(t, StreamConfig{URL: srv.URL}))
	if err := result(t, done); err == nil || err.Error() != "GET "+srv.URL+": 502 Bad Gateway" {
		t.Errorf("Run = %v", err)
	}
	addr := freeAddr(t)
	_, done = runSource(t, newStream(t, StreamConfig{URL: "http://" + addr}))
	if err := result(t, done); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Run = %v", err)
	}
}

func TestStreamSSELineTooLong(t *testing.T) {
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		io.WriteString(w, "data: "+strings.Repeat("x", 100)+"\n\n")
	}))
	defer srv.Close()
	_, done := runSource(t, newStream(t, StreamConfig{URL: srv.URL, Format: "sse", Reconnect: true}, WithMaxLineSize(64)))
	if err := result(t, done); err == nil || err.Error() != "GET "+srv.URL+": sse: line longer than 64 bytes" {
		t.Errorf("Run = %v", err)
	}
}

// TestStreamCancel checks Run returns promptly when ctx is done while the
// server is silent, and that emit's error is returned unchanged.
func TestStreamCancel(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		conns.Add(1)
		io.WriteString(w, "x\n")
		w.(nethttp.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	s := newStream(t, DefaultStreamConfig(srv.URL))
	ctx, cancel := context.WithCancel(context.Background())
	err := s.Run(ctx, func(context.Context, connectors.Record) error {
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context canceled", err)
	}
	stop := errors.New("stop here")
	err = newStream(t, DefaultStreamConfig(srv.URL)).Run(context.Background(), func(context.Context, connectors.Record) error {
		return stop
	})
	if err != stop {
		t.Errorf("Run = %v, want emit's error", err)
	}
}

func TestStreamConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		cfg  StreamConfig
		want string
	}{
		{StreamConfig{URL: "http://x", Format: "xml"}, `http.stream: format must be "lines", "ndjson" or "sse", got "xml"`},
		{StreamConfig{URL: "ws://x"}, `http.stream: url "ws://x": unsupported scheme "ws" (want http or https)`},
	} {
		if _, err := NewStreamSource(tt.cfg); err == nil || err.Error() != tt.want {
			t.Errorf("NewStreamSource(%+v) = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

// TestStreamSSEPosition: a restored position sends its event ID as
// Last-Event-ID on the first request, and Position reports the last event ID
// of the records handed over.
func TestStreamSSEPosition(t *testing.T) {
	var first atomic.Value
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		first.CompareAndSwap(nil, r.Header.Get("Last-Event-ID"))
		io.WriteString(w, "id: 8\ndata: eight\n\nid: 9\ndata: nine\n\n")
	}))
	defer srv.Close()
	s := newStream(t, StreamConfig{URL: srv.URL, Format: "sse"})
	if k := s.PositionKey(); k != "sse:"+srv.URL {
		t.Errorf("PositionKey = %q", k)
	}
	if p, _ := s.Position(); p != nil {
		t.Errorf("Position before any record = %s", p)
	}
	if err := s.Restore([]byte(`{"id":"7"}`), nil); err != nil {
		t.Fatal(err)
	}
	recs, done := runSource(t, s)
	r := next(t, recs)
	s.Emitted(&r)
	if p, _ := s.Position(); string(p) != `{"id":"8"}` {
		t.Errorf("Position = %s", p)
	}
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}
	if got := first.Load(); got != "7" {
		t.Errorf("first Last-Event-ID = %v, want 7", got)
	}
	if lines := newStream(t, StreamConfig{URL: srv.URL}); lines.PositionKey() != "" {
		t.Error("a stream of lines has a position")
	}
	if err := s.Restore([]byte("nope"), nil); err == nil {
		t.Error("Restore of a bad position succeeded")
	}
}
