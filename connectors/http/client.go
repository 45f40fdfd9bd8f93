// Package http holds streamctl's HTTP connectors, as plain Go on net/http
// with no Lua in them: a retrying request Client (http.get, http.post), a
// PostSink (http.post(url) as a sink), a StreamSource reading lines, NDJSON
// or server-sent events (http.stream), an SSE parser, and a Server with GET
// handlers, SSE hubs, /healthz and Prometheus /metrics (http.serve). The
// standard package is imported as nethttp.
package http

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"net/url"
	"strings"
	"time"

	"github.com/streamctl/streamctl/clock"
)

// Request is one HTTP request for Client.Do: the arguments of
// http.get(url, {headers=, timeout=, retries=}) and http.post(url, body, opts).
type Request struct {
	// Method is the HTTP method, upper-cased; default "GET".
	Method string
	// URL is an absolute http:// or https:// URL; required.
	URL string
	// Headers are set on the request (one value each); a "Host" entry sets
	// the Host header. Default none (Go adds User-Agent, Accept-Encoding).
	Headers map[string]string
	// Body is sent as is; default empty.
	Body []byte
	// Timeout bounds each attempt, from connecting to the end of the body;
	// <= 0 means DefaultTimeout (30s). Backoff waits are not counted: bound
	// the whole call with ctx.
	Timeout time.Duration
	// Retries is how many times a connection error, timeout or 5xx response
	// is retried with backoff; default 0, negative counts as 0.
	Retries int
}

// Response is a response read in full: the {status=, headers=, body=} table
// of http.get.
type Response struct {
	Status int
	// Headers have lower-case names; repeated fields are joined with ", ".
	Headers map[string]string
	Body    []byte
}

// Client makes HTTP requests with retries. It is safe for concurrent use and
// starts no goroutines of its own (net/http keeps idle connections).
type Client struct {
	o opts
}

// NewClient returns a client. Options: WithHTTPClient, WithBackoff,
// WithMaxBodySize.
func NewClient(opts ...Opt) *Client {
	return &Client{o: newOpts(opts)}
}

// Do sends req and reads the whole response body; it blocks until then.
//
//  1. Each attempt is bounded by req.Timeout (default 30s) and ctx.
//  2. A connection error, a timeout, a body cut short or a 5xx status is
//     retried up to req.Retries times, waiting with exponential backoff and
//     jitter between attempts (WithBackoff; default 500ms doubling up to 30s).
//     4xx and other statuses are never retried.
//  3. The final response is returned whatever its status (the caller reads
//     Status), except a 5xx status after Retries > 0 retries: that is a
//     *StatusError (`GET http://x/y: 503 Service Unavailable after 3
//     retries`) carrying the response. Asking for retries means asking for
//     success.
//
// Errors name the method and the URL (its password redacted):
// `POST http://x: dial tcp 127.0.0.1:1: connect: connection refused`, with
// " (after 3 retries)" appended when retries were made; a per-attempt
// timeout says `GET http://x: timeout after 30s`. A body longer than the limit
// (default 64 MiB) fails at once, wrapping ErrBodyTooLarge. When ctx is done
// Do returns `GET http://x: context canceled` wrapping ctx.Err().
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = nethttp.MethodGet
	}
	u, err := parseURL(req.URL)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, req.URL, err)
	}
	name := u.Redacted()
	retries := max(req.Retries, 0)
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	for attempt := 0; ; attempt++ {
		resp, err := c.once(ctx, method, u, req, timeout)
		if err == nil && resp.Status < 500 {
			return resp, nil
		}
		var perm *permanentError
		switch {
		case err == nil: // 5xx
		case ctx.Err() != nil:
			return nil, fmt.Errorf("%s %s: %w", method, name, ctx.Err())
		case errors.As(err, &perm):
			return nil, fmt.Errorf("%s %s: %w", method, name, perm.err)
		}
		if attempt >= retries {
			if err != nil {
				if attempt > 0 {
					return nil, fmt.Errorf("%s %s: %w (after %s)", method, name, err, retriesText(attempt))
				}
				return nil, fmt.Errorf("%s %s: %w", method, name, err)
			}
			if retries > 0 {
				return nil, &StatusError{Method: method, URL: name, Status: resp.Status, Retries: attempt, Response: resp}
			}
			return resp, nil
		}
		if err := clock.Or(c.o.clock).Sleep(ctx, c.o.backoff.delay(attempt, 0)); err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, name, err)
		}
	}
}

// permanentError marks an attempt failure that must not be retried.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }

// timeoutError is the cause of a per-attempt timeout.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string { return "timeout after " + e.d.String() }
func (e *timeoutError) Timeout() bool { return true }

// once makes one attempt. Errors are the transport's cause, without the
// *url.Error wrapper that would repeat method and URL.
func (c *Client) once(ctx context.Context, method string, u *url.URL, req Request, timeout time.Duration) (*Response, error) {
	tctx, cancel := context.WithTimeoutCause(ctx, timeout, &timeoutError{timeout})
	defer cancel()
	var body io.Reader
	if len(req.Body) > 0 {
		body = bytes.NewReader(req.Body)
	}
	hreq, err := nethttp.NewRequestWithContext(tctx, method, u.String(), body)
	if err != nil {
		return nil, &permanentError{err}
	}
	setHeaders(hreq, req.Headers)
	hresp, err := c.o.client.Do(hreq)
	if err != nil {
		return nil, attemptError(tctx, ctx, err)
	}
	defer hresp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hresp.Body, c.o.maxBody+1))
	if err != nil {
		return nil, attemptError(tctx, ctx, err)
	}
	if int64(len(data)) > c.o.maxBody {
		return nil, &permanentError{&limitError{"response body larger than", c.o.maxBody, ErrBodyTooLarge}}
	}
	return &Response{Status: hresp.StatusCode, Headers: flattenHeaders(hresp.Header), Body: data}, nil
}

// attemptError unwraps a transport error and names a per-attempt timeout.
func attemptError(tctx, ctx context.Context, err error) error {
	if ctx.Err() == nil {
		var te *timeoutError
		if errors.As(context.Cause(tctx), &te) {
			return te
		}
	}
	return unwrapURLError(err)
}

// unwrapURLError drops net/http's *url.Error wrapper (`Get "http://x": ...`):
// our messages name method and URL themselves.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// parseURL accepts absolute http and https URLs.
func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, unwrapURLError(err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("unsupported scheme %q (want http or https)", u.Scheme)
	case u.Host == "":
		return nil, errors.New("missing host")
	}
	return u, nil
}

// setHeaders sets h on r, one value each; "Host" sets r.Host.
func setHeaders(r *nethttp.Request, h map[string]string) {
	for k, v := range h {
		if strings.EqualFold(k, "host") {
			r.Host = v
			continue
		}
		r.Header.Set(k, v)
	}
}

// flattenHeaders returns h with lower-case names and values joined by ", ".
func flattenHeaders(h nethttp.Header) map[string]string {
	m := make(map[string]string, len(h))
	for k, vs := range h {
		m[strings.ToLower(k)] = strings.Join(vs, ", ")
	}
	return m
}
