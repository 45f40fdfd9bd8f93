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
	"time"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/value"
)

// statusServer answers with statuses[i] for request i (the last one after),
// counting requests.
func statusServer(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		i := int(n.Add(1)) - 1
		code := statuses[min(i, len(statuses)-1)]
		w.WriteHeader(code)
		io.WriteString(w, nethttp.StatusText(code))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestClientRetries(t *testing.T) {
	for _, tt := range []struct {
		name      string
		statuses  []int
		retries   int
		wantCalls int32
		wantCode  int
		wantErr   string
	}{
		{"503 then success", []int{503, 503, 200}, 3, 3, 200, ""},
		{"no retry on 404", []int{404, 200}, 3, 1, 404, ""},
		{"5xx returned without retries", []int{503, 200}, 0, 1, 503, ""},
		{"5xx after retries", []int{503}, 3, 4, 0, "GET URL: 503 Service Unavailable after 3 retries"},
		{"one retry", []int{500}, 1, 2, 0, "GET URL: 500 Internal Server Error after 1 retry"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := statusServer(t, tt.statuses...)
			c := NewClient(fast)
			resp, err := c.Do(context.Background(), Request{URL: srv.URL, Retries: tt.retries})
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			if tt.wantErr != "" {
				want := strings.ReplaceAll(tt.wantErr, "URL", srv.URL)
				if err == nil || err.Error() != want {
					t.Fatalf("err = %v, want %q", err, want)
				}
				var se *StatusError
				if !errors.As(err, &se) || se.Response == nil || se.Response.Status != tt.statuses[len(tt.statuses)-1] {
					t.Errorf("err = %#v, want a *StatusError with the response", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tt.wantCode || string(resp.Body) != nethttp.StatusText(tt.wantCode) {
				t.Errorf("resp = %d %q", resp.Status, resp.Body)
			}
		})
	}
}

func TestClientConnectionRefused(t *testing.T) {
	addr := freeAddr(t)
	c := NewClient(fast)
	_, err := c.Do(context.Background(), Request{Method: "post", URL: "http://" + addr, Body: []byte("x")})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "POST http://"+addr+": dial tcp "+addr+": ") || !strings.HasSuffix(msg, "connection refused") {
		t.Errorf("err = %q", msg)
	}
	_, err = c.Do(context.Background(), Request{URL: "http://" + addr + "/x", Retries: 2})
	if err == nil || !strings.HasPrefix(err.Error(), "GET http://"+addr+"/x: dial tcp") ||
		!strings.HasSuffix(err.Error(), "connection refused (after 2 retries)") {
		t.Errorf("err = %v", err)
	}
}

func TestClientBodyLimit(t *testing.T) {
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		io.WriteString(w, strings.Repeat("x", len(r.URL.Path)-1))
	}))
	defer srv.Close()
	c := NewClient(fast, WithMaxBodySize(10))
	resp, err := c.Do(context.Background(), Request{URL: srv.URL + "/0123456789"})
	if err != nil || len(resp.Body) != 10 {
		t.Fatalf("10 bytes: %v", err)
	}
	_, err = c.Do(context.Background(), Request{URL: srv.URL + "/0123456789a", Retries: 3})
	want := "GET " + srv.URL + "/0123456789a: response body larger than 10 bytes"
	if err == nil || err.Error() != want || !errors.Is(err, ErrBodyTooLarge) {
		t.Errorf("err = %v, want %q", err, want)
	}
	if got := (&limitError{"response body larger than", DefaultMaxBodySize, ErrBodyTooLarge}).Error(); got != "response body larger than 64 MiB" {
		t.Errorf("default limit message = %q", got)
	}
}

func TestClientTimeoutAndCancel(t *testing.T) {
	arrived := make(chan struct{}, 10)
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-r.Context().Done()
	}))
	defer srv.Close()
	c := NewClient(fast)
	_, err := c.Do(context.Background(), Request{URL: srv.URL, Timeout: 20 * time.Millisecond, Retries: 1})
	if want := "GET " + srv.URL + ": timeout after 20ms (after 1 retry)"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}

	for len(arrived) > 0 {
		<-arrived
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, err = c.Do(ctx, Request{URL: srv.URL})
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "GET "+srv.URL+": ") {
		t.Errorf("err = %v, want context canceled", err)
	}
}

func TestClientRequestAndHeaders(t *testing.T) {
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		w.WriteHeader(201)
		io.WriteString(w, r.Method+" "+r.Header.Get("X-Token")+" "+r.Host+" "+string(body))
	}))
	defer srv.Close()
	resp, err := NewClient().Do(context.Background(), Request{
		Method: "PUT", URL: srv.URL, Body: []byte("hello"),
		Headers: map[string]string{"x-token": "t1", "Host": "example.test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 201 || string(resp.Body) != "PUT t1 example.test hello" || resp.Headers["x-multi"] != "a, b" {
		t.Errorf("resp = %d %q %v", resp.Status, resp.Body, resp.Headers)
	}
}

func TestClientBadURL(t *testing.T) {
	for _, tt := range []struct{ url, want string }{
		{"ftp://x/y", `GET ftp://x/y: unsupported scheme "ftp" (want http or https)`},
		{"http://", `GET http://: missing host`},
		{"x y", `GET x y: unsupported scheme "" (want http or https)`},
	} {
		_, err := NewClient().Do(context.Background(), Request{URL: tt.url})
		if err == nil || err.Error() != tt.want {
			t.Errorf("Do(%q) = %v, want %q", tt.url, err, tt.want)
		}
	}
}

func TestPostSink(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	var calls atomic.Int32
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(502) // retried
			return
		}
		b, _ := io.ReadAll(r.Body)
		if string(b) == `"reject"` {
			w.WriteHeader(400)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, r.Method+" "+r.Header.Get("Content-Type")+" "+string(b))
	}))
	defer srv.Close()
	s, err := NewPostSink(PostConfig{URL: srv.URL}, fast)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, v := range []any{value.Object{{Key: "a", Value: int64(1)}}, "x"} {
		if err := s.Write(ctx, connectors.Record{Value: v}); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{`POST application/json {"a":1}`, `POST application/json "x"`}
	if strings.Join(bodies, "|") != strings.Join(want, "|") {
		t.Errorf("bodies = %q, want %q", bodies, want)
	}
	err = s.Write(ctx, connectors.Record{Value: "reject"})
	if want := "POST " + srv.URL + ": 400 Bad Request"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	s.Close(ctx)
	if err := s.Write(ctx, connectors.Record{Value: 1}); !errors.Is(err, connectors.ErrClosed) {
		t.Errorf("write after close = %v", err)
	}
	if _, err := NewPostSink(PostConfig{URL: "nope"}); err == nil || err.Error() != `http.post: url "nope": unsupported scheme "" (want http or https)` {
		t.Errorf("bad url: %v", err)
	}
}
