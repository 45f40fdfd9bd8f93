package http

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func startServer(t *testing.T, m MetricsWriter, opts ...Opt) *Server {
	t.Helper()
	s, err := NewServer(ServerConfig{Addr: "127.0.0.1:0", Metrics: m}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func get(t *testing.T, url string) (int, string, nethttp.Header) {
	t.Helper()
	resp, err := nethttp.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func TestServerHandlers(t *testing.T) {
	logger, logs := newLogger()
	s := startServer(t, nil, WithLogger(logger))
	if strings.HasSuffix(s.Addr(), ":0") || !strings.HasPrefix(s.Addr(), "127.0.0.1:") {
		t.Fatalf("Addr = %q", s.Addr())
	}
	err := s.Handle("/hello", func(ctx context.Context, r *ServerRequest) (int, []byte, map[string]string, error) {
		body := fmt.Sprintf("%s %s name=%s ua=%s", r.Method, r.Path, r.Query["name"], r.Headers["x-test"])
		return 0, []byte(body), map[string]string{"Content-Type": "text/plain", "X-Reply": "yes"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Handle("/teapot", func(context.Context, *ServerRequest) (int, []byte, map[string]string, error) {
		return 418, []byte("short and stout"), nil, nil
	})
	s.Handle("/fail", func(context.Context, *ServerRequest) (int, []byte, map[string]string, error) {
		return 200, []byte("secret partial"), nil, errors.New("db password is hunter2")
	})
	s.Handle("/panic", func(context.Context, *ServerRequest) (int, []byte, map[string]string, error) {
		panic("boom")
	})
	base := "http://" + s.Addr()

	req, _ := nethttp.NewRequest("GET", base+"/hello?name=ann&name=bob", nil)
	req.Header.Set("X-Test", "t")
	resp, err := nethttp.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "GET /hello name=ann ua=t" || resp.Header.Get("X-Reply") != "yes" {
		t.Errorf("/hello = %d %q %v", resp.StatusCode, b, resp.Header)
	}
	if code, body, _ := get(t, base+"/teapot"); code != 418 || body != "short and stout" {
		t.Errorf("/teapot = %d %q", code, body)
	}
	for _, path := range []string{"/fail", "/panic"} {
		code, body, _ := get(t, base+path)
		if code != 500 || body != "internal server error" {
			t.Errorf("%s = %d %q", path, code, body)
		}
	}
	l := logs.String()
	if !strings.Contains(l, "db password is hunter2") || !strings.Contains(l, "panic: boom") || strings.Contains(l, "goroutine ") {
		t.Errorf("logs = %s", l)
	}
	if code, body, _ := get(t, base+"/healthz"); code != 200 || body != "ok" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, _, _ := get(t, base+"/metrics"); code != 404 {
		t.Errorf("/metrics without registry = %d", code)
	}
	if code, _, _ := get(t, base+"/nope"); code != 404 {
		t.Errorf("/nope = %d", code)
	}
	resp, err = nethttp.Post(base+"/hello", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("POST /hello = %d", resp.StatusCode)
	}

	for _, tt := range []struct{ path, want string }{
		{"/hello", `http.serve: path "/hello" already has a handler`},
		{"/healthz", `http.serve: path "/healthz" already has a handler`},
		{"nope", `http.serve: path must start with "/" and hold no spaces, got "nope"`},
	} {
		if err := s.Handle(tt.path, func(context.Context, *ServerRequest) (int, []byte, map[string]string, error) {
			return 0, nil, nil, nil
		}); err == nil || err.Error() != tt.want {
			t.Errorf("Handle(%q) = %v, want %q", tt.path, err, tt.want)
		}
	}
}

func TestServerMetrics(t *testing.T) {
	var in atomic.Int64
	s := startServer(t, func(w io.Writer) {
		WriteFamily(w, "streamctl_records_in_total", "counter", "Records a handler received.", []Sample{
			{Labels: []string{"handler", "enrich"}, Value: float64(in.Load())},
			{Labels: []string{"handler", "say \"hi\"\n\\"}, Value: 1},
		})
		WriteFamily(w, "streamctl_kafka_consumer_lag", "gauge", "Lag,\nper partition.", []Sample{
			{Labels: []string{"topic", "activity", "partition", "2"}, Value: 42},
		})
		WriteFamily(w, "streamctl_unused", "gauge", "No samples, no lines.", nil)
	})
	in.Add(3)
	code, body, hdr := get(t, "http://"+s.Addr()+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	if ct := hdr.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	want := `# HELP streamctl_records_in_total Records a handler received.
# TYPE streamctl_records_in_total counter
streamctl_records_in_total{handler="enrich"} 3
streamctl_records_in_total{handler="say \"hi\"\n\\"} 1
# HELP streamctl_kafka_consumer_lag Lag,\nper partition.
# TYPE streamctl_kafka_consumer_lag gauge
streamctl_kafka_consumer_lag{topic="activity",partition="2"} 42
`
	if !strings.HasPrefix(body, want) {
		t.Errorf("/metrics starts\n%s\nwant\n%s", body[:min(len(body), len(want)+100)], want)
	}
	for _, runtime := range []string{"\ngo_goroutines ", "\nprocess_resident_memory_bytes "} {
		if !strings.Contains(body, runtime) {
			t.Errorf("/metrics lacks %q", runtime)
		}
	}
	if strings.Contains(body, "streamctl_unused") {
		t.Error("a family without samples was written")
	}
}

func TestServerAddressInUse(t *testing.T) {
	s1 := startServer(t, nil)
	s2, err := NewServer(ServerConfig{Addr: s1.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	err = s2.Start(context.Background())
	want := "http: listen " + s1.Addr() + ": address already in use"
	if err == nil || err.Error() != want || !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Start = %v, want %q", err, want)
	}
	if err := s1.Start(context.Background()); !errors.Is(err, ErrServerClosed) {
		t.Errorf("second Start = %v", err)
	}
	if _, err := NewServer(ServerConfig{Addr: "localhost"}); err == nil || err.Error() != `http.serve: addr "localhost": missing port in address` {
		t.Errorf("bad addr: %v", err)
	}
	if s, _ := NewServer(ServerConfig{}); s.Addr() != "127.0.0.1:8080" {
		t.Errorf("default addr = %q", s.Addr())
	}
}

// sseClient connects to url and returns a reader of its events.
func sseConnect(t *testing.T, url string) *SSEReader {
	t.Helper()
	resp, err := nethttp.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET %s = %d %v", url, resp.StatusCode, resp.Header)
	}
	return NewSSEReader(resp.Body, 0)
}

func TestServerSSEFanOut(t *testing.T) {
	s := startServer(t, nil)
	hub, err := s.SSE("/events")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + s.Addr() + "/events"
	clients := []*SSEReader{sseConnect(t, url), sseConnect(t, url)}
	waitFor(t, "2 clients", func() bool { return hub.Clients() == 2 })
	want := []SSEEvent{
		{ID: "1", Event: "message", Data: "one"},
		{ID: "2", Event: "update", Data: "two\nlines"},
		{ID: "2", Event: "message", Data: `{"n":3}`},
	}
	hub.Publish(SSEEvent{ID: "1", Data: "one"})
	hub.Publish(SSEEvent{ID: "2", Event: "update", Data: "two\nlines"})
	hub.Publish(SSEEvent{Data: `{"n":3}`})
	for i, c := range clients {
		for _, w := range want {
			ev, err := c.Next()
			if err != nil || ev != w {
				t.Fatalf("client %d: got %q, %v; want %q", i, ev, err, w)
			}
		}
	}
}

// TestServerSSESink checks the sink the :sse(path, source) binding uses,
// read back with a StreamSource.
func TestServerSSESink(t *testing.T) {
	s := startServer(t, nil)
	hub, _ := s.SSE("/s")
	recs, _ := runSource(t, newStream(t, StreamConfig{URL: "http://" + s.Addr() + "/s", Format: "sse"}))
	waitFor(t, "client", func() bool { return hub.Clients() == 1 })
	sink := hub.Sink(SSESinkConfig{})
	for _, r := range []struct {
		v    any
		meta map[string]any
	}{{"hi", nil}, {int64(3), map[string]any{"event": "n", "id": "9"}}} {
		if err := sink.Write(context.Background(), connRecord(r.v, r.meta)); err != nil {
			t.Fatal(err)
		}
	}
	if r := next(t, recs); r.Value != "hi" || r.Meta["event"] != "message" {
		t.Errorf("record 1 = %+v", r)
	}
	if r := next(t, recs); r.Value != "3" || r.Meta["event"] != "n" || r.Meta["id"] != "9" {
		t.Errorf("record 2 = %+v", r)
	}
}

// TestServerSSESlowClient checks a client that does not read is dropped
// once its buffer is full, and Publish never blocks meanwhile.
func TestServerSSESlowClient(t *testing.T) {
	logger, logs := newLogger()
	s := startServer(t, nil, WithLogger(logger), WithSSEBuffer(4))
	hub, _ := s.SSE("/events")
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
	waitFor(t, "client", func() bool { return hub.Clients() == 1 })
	// Read one event, so the stream is live, then stop reading.
	hub.Publish(SSEEvent{Data: "hello"})
	br := bufio.NewReader(conn)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "data: hello\n" {
			break
		}
	}

	big := strings.Repeat("x", 256<<10)
	published := make(chan int)
	go func() {
		n := 0
		for hub.Clients() > 0 && n < 100000 {
			hub.Publish(SSEEvent{Data: big})
			n++
		}
		published <- n
	}()
	select {
	case n := <-published:
		if hub.Clients() != 0 {
			t.Fatalf("client not dropped after %d events", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Publish blocked")
	}
	waitFor(t, "drop logged", func() bool { return strings.Contains(logs.String(), "sse client too slow, dropped") })
	// The dropped connection is closed by the server: reading it ends.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, br); err != nil {
		t.Errorf("reading dropped connection: %v", err)
	}
}

// TestServerCloseEndsSSE checks Close ends open SSE streams promptly.
func TestServerCloseEndsSSE(t *testing.T) {
	s, err := NewServer(ServerConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	hub, _ := s.SSE("/events")
	c := sseConnect(t, "http://"+s.Addr()+"/events")
	waitFor(t, "client", func() bool { return hub.Clients() == 1 })
	hub.Publish(SSEEvent{Data: "last"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if ev, err := c.Next(); err != nil || ev.Data != "last" {
		t.Errorf("Next = %v, %v", ev, err)
	}
	if _, err := c.Next(); err != io.EOF {
		t.Errorf("Next after Close = %v, want EOF", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Errorf("second Close = %v", err)
	}
	hub.Publish(SSEEvent{Data: "ignored"})
	if _, err := nethttp.Get("http://" + s.Addr() + "/healthz"); err == nil {
		t.Error("server still answers after Close")
	}
}

// TestServerHeld: with Held, a request that arrives before Ready waits and
// is then routed to a path registered after Start; one still held when the
// server closes is answered 503.
func TestServerHeld(t *testing.T) {
	s, err := NewServer(ServerConfig{Addr: "127.0.0.1:0", Held: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		code int
		body string
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := nethttp.Get("http://" + s.Addr() + "/late")
		if err != nil {
			got <- answer{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- answer{resp.StatusCode, string(b)}
	}()
	waitHeld(t, s)
	select {
	case a := <-got:
		t.Fatalf("answered before Ready: %+v", a)
	default:
	}
	if err := s.Handle("/late", func(context.Context, *ServerRequest) (int, []byte, map[string]string, error) {
		return 200, []byte("registered late"), nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Ready()
	if a := <-got; a.code != 200 || a.body != "registered late" {
		t.Fatalf("after Ready: %+v", a)
	}

	s2, err := NewServer(ServerConfig{Addr: "127.0.0.1:0", Held: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	go func() {
		resp, err := nethttp.Get("http://" + s2.Addr() + "/healthz")
		if err != nil {
			got <- answer{body: err.Error()}
			return
		}
		resp.Body.Close()
		got <- answer{code: resp.StatusCode}
	}()
	waitHeld(t, s2)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s2.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if a := <-got; a.code != 503 {
		t.Fatalf("held at close: %+v", a)
	}
	s.Close(ctx)
}

// waitHeld polls until a request is held by s.
func waitHeld(t *testing.T, s *Server) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); s.held.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no request held within 5s")
		}
	}
}
