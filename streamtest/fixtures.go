package streamtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	nethttp "net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/clock"
	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/connectors/fixture"
	"github.com/streamctl/streamctl/state"
)

// fixtures implement bindings.Fixtures for one test case.
type fixtures struct {
	c     *Case
	clock *clock.Virtual
	ctx   context.Context // ends with the case: timed ends stop waiting

	mu      sync.Mutex
	topics  map[string]*fixture.Topic  // by "kafka:NAME"
	streams map[string]*fixture.Source // by "http:URL"
	files   map[string]*fileCapture    // by "file:PATH"
	caches  map[string]*state.Cache
	errs    []error // fixtures that could not be built
	http    *stubTransport
	stopped bool
}

// ender is a fixture that stays open after its last record (fixture.Source,
// fixture.Topic).
type ender interface {
	Waiting() bool
	End()
}

type fileCapture struct {
	buf  bytes.Buffer
	sink *connectors.WriterSink
}

func newFixtures(ctx context.Context, c *Case, v *clock.Virtual) *fixtures {
	return &fixtures{c: c, clock: v, ctx: ctx, topics: map[string]*fixture.Topic{}, streams: map[string]*fixture.Source{},
		files: map[string]*fileCapture{}, caches: map[string]*state.Cache{},
		http: &stubTransport{responses: c.HTTP, posted: map[string][][]byte{}}}
}

func (fx *fixtures) input(name string) *Input {
	for i := range fx.c.Inputs {
		if fx.c.Inputs[i].Name == name {
			return &fx.c.Inputs[i]
		}
	}
	return nil
}

func (fx *fixtures) fail(err error) {
	fx.mu.Lock()
	fx.errs = append(fx.errs, err)
	fx.mu.Unlock()
}

// Topic implements bindings.Fixtures: the same topic for every
// kafka.topic(name), with the test's inputs["kafka:NAME"] in it.
func (fx *fixtures) Topic(name string, vc, kc codec.Codec) bindings.KafkaTopic {
	key := "kafka:" + name
	fx.mu.Lock()
	defer fx.mu.Unlock()
	if t := fx.topics[key]; t != nil {
		return t
	}
	in := fx.input(key)
	parts := int32(1)
	if in != nil {
		parts = in.Partitions
	}
	t := fixture.NewTopic(fixture.TopicConfig{Name: name, Partitions: parts, Codec: vc, KeyCodec: kc, Clock: fx.clock})
	fx.topics[key] = t
	if in == nil {
		return t
	}
	fx.closeAt(t, in.CloseAt)
	for i, r := range in.Records {
		m := fixture.Message{Partition: r.Partition, Headers: r.Headers, Time: r.Time}
		if r.At != 0 {
			m.At = fx.c.Start.Add(r.At)
		}
		if m.Time.IsZero() {
			m.Time = fx.c.Start.Add(r.At)
		}
		var err error
		if m.Value, m.Key, err = t.Encode(r.Value, r.Key); err != nil {
			fx.errs = append(fx.errs, fmt.Errorf("%s record %d: %w", key, i+1, err))
			continue
		}
		if r.HasRaw {
			m.Value = r.Raw
		}
		if _, err := t.Append(m); err != nil {
			fx.errs = append(fx.errs, fmt.Errorf("%s record %d: %w", key, i+1, err))
		}
	}
	return t
}

// Stream implements bindings.Fixtures: the records of
// inputs["http:URL"], none without.
func (fx *fixtures) Stream(url string) connectors.Source {
	key := "http:" + url
	fx.mu.Lock()
	defer fx.mu.Unlock()
	if s := fx.streams[key]; s != nil {
		return s
	}
	var recs []fixture.Record
	if in := fx.input(key); in != nil {
		for _, r := range in.Records {
			rec := fixture.Record{Record: connectors.Record{Value: r.Value, Key: r.Key, Time: r.Time}}
			if r.At != 0 {
				rec.At = fx.c.Start.Add(r.At)
			}
			if r.HasEventID {
				rec.Meta = map[string]any{"event": r.Event, "id": r.ID}
			}
			recs = append(recs, rec)
		}
	}
	s := fixture.NewSource(url, fx.clock, recs)
	fx.streams[key] = s
	if in := fx.input(key); in != nil {
		fx.closeAt(s, in.CloseAt)
	}
	return s
}

// FileSink implements bindings.Fixtures: the file's records are kept in
// memory, encoded as the file would hold them.
func (fx *fixtures) FileSink(path string, c codec.Codec) connectors.Sink {
	key := "file:" + path
	fx.mu.Lock()
	defer fx.mu.Unlock()
	if f := fx.files[key]; f != nil {
		return f.sink
	}
	f := &fileCapture{}
	f.sink = connectors.NewWriterSink(key, &f.buf, c)
	fx.files[key] = f
	return f.sink
}

// HTTPClient implements bindings.Fixtures.
func (fx *fixtures) HTTPClient() *nethttp.Client { return &nethttp.Client{Transport: fx.http} }

// ServeAddr implements bindings.Fixtures: a free port of the loopback
// interface, whatever the script asked for.
func (fx *fixtures) ServeAddr(string) string { return "127.0.0.1:0" }

// CacheOpened implements bindings.Fixtures.
func (fx *fixtures) CacheOpened(name string, c *state.Cache) {
	fx.mu.Lock()
	fx.caches[name] = c
	fx.mu.Unlock()
}

// enders returns the fixtures that end when the job is idle: those the test
// gives no close_at.
func (fx *fixtures) enders() []ender {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	var out []ender
	for _, name := range sortedKeys(fx.topics) {
		if in := fx.input(name); in == nil || in.CloseAt == 0 {
			out = append(out, fx.topics[name])
		}
	}
	for _, name := range sortedKeys(fx.streams) {
		if in := fx.input(name); in == nil || in.CloseAt == 0 {
			out = append(out, fx.streams[name])
		}
	}
	return out
}

// closeAt ends e at the start + d (close_at), when d > 0. Fixtures are
// made while the script's top level runs, before the clock moved.
func (fx *fixtures) closeAt(e ender, d time.Duration) {
	if d <= 0 {
		return
	}
	h := fx.clock.Hold()
	wait := fx.c.Start.Add(d).Sub(fx.clock.Now())
	go func() {
		defer h.Done()
		if fx.clock.SleepLast(clock.WithParker(fx.ctx, h), wait) == nil {
			e.End()
		}
	}()
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// stubTransport answers the script's HTTP requests with the test's
// responses (http = {["GET URL"] = ..., [URL] = ...}) and keeps the bodies
// it sent (POST and the like) as the outputs of "http:URL".
type stubTransport struct {
	responses map[string]Response
	mu        sync.Mutex
	posted    map[string][][]byte
}

// RoundTrip implements net/http.RoundTripper.
func (s *stubTransport) RoundTrip(req *nethttp.Request) (*nethttp.Response, error) {
	url := req.URL.String()
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	if req.Method != nethttp.MethodGet && req.Method != nethttp.MethodHead {
		s.mu.Lock()
		s.posted["http:"+url] = append(s.posted["http:"+url], body)
		s.mu.Unlock()
	}
	r, ok := s.responses[req.Method+" "+url]
	if !ok {
		r, ok = s.responses[url]
	}
	if !ok {
		if req.Method == nethttp.MethodGet {
			return nil, fmt.Errorf("no response for GET %s in the test (http = {[%q] = {status = 200, body = ...}})", url, url)
		}
		r = Response{Status: 200} // an output the test checks, answered OK
	}
	h := nethttp.Header{}
	for k, v := range r.Headers {
		h.Set(k, v)
	}
	return &nethttp.Response{
		Status:        fmt.Sprintf("%d %s", r.Status, nethttp.StatusText(r.Status)),
		StatusCode:    r.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(r.Body)),
		ContentLength: int64(len(r.Body)),
		Request:       req,
	}, nil
}

// lines splits captured output into lines, without the last newline.
func lines(b []byte) []string {
	s := string(b)
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
