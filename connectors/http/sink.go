package http

import (
	"context"
	"fmt"
	nethttp "net/http"
	"strings"
	"time"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/codec"
)

// PostConfig is the configuration of a PostSink: http.post(url [, opts]) used
// as a sink.
type PostConfig struct {
	// URL receives one request per record; required, http or https.
	URL string
	// Method is the request method; default "POST".
	Method string
	// Codec encodes each record value into a request body (Codec.Marshal);
	// default json.
	Codec codec.Codec
	// Headers are sent with every request. Default: a Content-Type for the
	// codec ("application/json", "text/plain; charset=utf-8" for text,
	// "application/octet-stream" otherwise) unless Headers names one.
	Headers map[string]string
	// Timeout bounds each attempt; default 30s.
	Timeout time.Duration
	// Retries is how many times a failed post (connection error, timeout,
	// 5xx) is retried with backoff; 0 means DefaultPostRetries (3), negative
	// means none.
	Retries int
}

// PostSink sends each record's value, encoded with the codec, as the body of
// one request to a URL, waiting for the response (no batching); Write returns
// once the server accepted it with a 2xx status. It is not safe for concurrent
// use (wrap it with connectors.Locked) and starts no goroutines.
type PostSink struct {
	cfg     PostConfig
	name    string
	client  *Client
	headers map[string]string
	buf     []byte
	closed  bool
}

// NewPostSink validates cfg and returns the sink; nothing is sent until Write.
// Options: WithHTTPClient, WithBackoff, WithMaxBodySize.
func NewPostSink(cfg PostConfig, opts ...Opt) (*PostSink, error) {
	if cfg.Method == "" {
		cfg.Method = nethttp.MethodPost
	}
	cfg.Method = strings.ToUpper(cfg.Method)
	u, err := parseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("http.post: url %q: %w", cfg.URL, err)
	}
	if cfg.Codec == nil {
		cfg.Codec, _ = codec.Lookup("json")
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = DefaultPostRetries
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	h := make(map[string]string, len(cfg.Headers)+1)
	hasType := false
	for k, v := range cfg.Headers {
		h[k] = v
		hasType = hasType || strings.EqualFold(k, "content-type")
	}
	if !hasType {
		h["Content-Type"] = contentType(cfg.Codec)
	}
	return &PostSink{cfg: cfg, name: u.Redacted(), client: NewClient(opts...), headers: h}, nil
}

func contentType(c codec.Codec) string {
	switch c.Name() {
	case "json":
		return "application/json"
	case "text", "csv":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// Name returns the URL, its password redacted.
func (s *PostSink) Name() string { return s.name }

// Write encodes r.Value and sends it, retrying as configured; it blocks until
// the final response. A final non-2xx status is a *StatusError
// (`POST http://x: 400 Bad Request`); after Close it returns
// connectors.ErrClosed.
func (s *PostSink) Write(ctx context.Context, r connectors.Record) error {
	if s.closed {
		return connectors.ErrClosed
	}
	var err error
	s.buf, err = s.cfg.Codec.Marshal(s.buf[:0], r.Value)
	if err != nil {
		return fmt.Errorf("%s %s: encode: %w", s.cfg.Method, s.name, err)
	}
	resp, err := s.client.Do(ctx, Request{
		Method: s.cfg.Method, URL: s.cfg.URL, Headers: s.headers, Body: s.buf,
		Timeout: s.cfg.Timeout, Retries: s.cfg.Retries,
	})
	if err != nil {
		return err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return &StatusError{Method: s.cfg.Method, URL: s.name, Status: resp.Status, Response: resp}
	}
	return nil
}

// Flush does nothing: Write sends at once.
func (s *PostSink) Flush(context.Context) error { return nil }

// Close makes later writes fail; it is safe to call more than once.
func (s *PostSink) Close(context.Context) error {
	s.closed = true
	return nil
}

var (
	_ connectors.Sink  = (*PostSink)(nil)
	_ connectors.Named = (*PostSink)(nil)
)
