package http

import (
	"errors"
	"fmt"
	nethttp "net/http"
	"strings"
)

// ErrBodyTooLarge is wrapped by the error Client.Do and PostSink.Write return
// when a response body is longer than the limit (default 64 MiB,
// WithMaxBodySize): `GET http://x/big: response body larger than 64 MiB`.
// Such a response is not retried.
var ErrBodyTooLarge = errors.New("response body too large")

// ErrLineTooLong is wrapped by the error SSEReader.Next returns for a line
// longer than its limit (default 1 MiB): `sse: line longer than 1 MiB`.
// StreamSource treats it as fatal: reconnecting would meet the same line.
var ErrLineTooLong = errors.New("sse: line too long")

// ErrEventTooLarge is wrapped by the error SSEReader.Next returns when the
// data of one event grows beyond 16 times the line limit (16 MiB by default):
// `sse: event data longer than 16 MiB`.
var ErrEventTooLarge = errors.New("sse: event too large")

// ErrServerClosed is returned by Server.Start after Close, and by Start when
// the server was already started.
var ErrServerClosed = errors.New("http: server closed")

// StatusError is an HTTP response whose status the caller treats as a
// failure. It prints as `GET http://x/y: 503 Service Unavailable after 3
// retries` (without the "after" part when no retry was made).
//
// Client.Do returns it for a 5xx status that persisted through Retries > 0
// retries; PostSink.Write for any final non-2xx status; StreamSource.Run for a
// 4xx status (fatal) and, when Reconnect is false, for a 5xx one.
type StatusError struct {
	Method string
	URL    string // redacted: no password
	Status int
	// Retries is how many retries were made before giving up.
	Retries int
	// Response is the last response, body included (nil from StreamSource,
	// whose bodies are not read).
	Response *Response
}

func (e *StatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.URL, e.Status)
	if t := nethttp.StatusText(e.Status); t != "" {
		b.WriteString(" " + t)
	}
	if e.Retries > 0 {
		b.WriteString(" after " + retriesText(e.Retries))
	}
	return b.String()
}

func retriesText(n int) string {
	if n == 1 {
		return "1 retry"
	}
	return fmt.Sprintf("%d retries", n)
}

// limitError reports a size limit; it unwraps to its sentinel.
type limitError struct {
	what     string // "response body larger than"
	limit    int64
	sentinel error
}

func (e *limitError) Error() string { return e.what + " " + formatSize(e.limit) }
func (e *limitError) Unwrap() error { return e.sentinel }

// formatSize prints n bytes as "64 MiB", "1 KiB" or "100 bytes".
func formatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
