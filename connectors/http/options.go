package http

import (
	"log/slog"
	"math/rand/v2"
	nethttp "net/http"
	"time"

	"github.com/streamctl/streamctl/clock"
)

// Defaults of the knobs below and of the config structs.
const (
	// DefaultTimeout bounds one attempt of Client.Do (and of a PostSink
	// write), from connecting to the end of the body.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxBodySize is the longest response body Client.Do reads: 64 MiB.
	DefaultMaxBodySize = 64 << 20
	// DefaultMaxLineSize is the longest SSE line accepted: 1 MiB.
	DefaultMaxLineSize = 1 << 20
	// DefaultBackoffInitial and DefaultBackoffMax shape the delays between
	// retries and reconnects: attempt n waits a random duration in [d/2, d]
	// with d = min(max, initial*2^n).
	DefaultBackoffInitial = 500 * time.Millisecond
	DefaultBackoffMax     = 30 * time.Second
	// DefaultAddr is where a Server listens: localhost only.
	DefaultAddr = "127.0.0.1:8080"
	// DefaultSSEBuffer is how many events an SSE client may lag behind
	// before it is dropped.
	DefaultSSEBuffer = 256
	// DefaultSSEKeepAlive is how often an idle SSE stream gets a comment
	// line, so proxies keep it open and dead clients are noticed.
	DefaultSSEKeepAlive = 15 * time.Second
	// DefaultPostRetries is how often a PostSink retries a failed post.
	DefaultPostRetries = 3
)

// Opt configures a Client, StreamSource, PostSink or Server beyond its config
// (kgo's Opt shape). Each option says which of them it applies to; the others
// ignore it.
type Opt interface{ apply(*opts) }

type opts struct {
	client    *nethttp.Client
	backoff   backoff
	maxBody   int64
	maxLine   int
	logger    *slog.Logger
	sseBuffer int
	keepAlive time.Duration
	clock     clock.Clock
}

type optFunc func(*opts)

func (f optFunc) apply(o *opts) { f(o) }

func newOpts(list []Opt) opts {
	o := opts{
		client:    defaultClient,
		backoff:   backoff{initial: DefaultBackoffInitial, max: DefaultBackoffMax},
		maxBody:   DefaultMaxBodySize,
		maxLine:   DefaultMaxLineSize,
		logger:    slog.New(slog.DiscardHandler),
		sseBuffer: DefaultSSEBuffer,
		keepAlive: DefaultSSEKeepAlive,
	}
	for _, opt := range list {
		if opt != nil {
			opt.apply(&o)
		}
	}
	return o
}

// defaultClient is the net/http client used unless WithHTTPClient is given:
// a private copy of the default transport (so nothing else's changes to
// nethttp.DefaultTransport reach us), no overall timeout (streams run forever;
// Client.Do bounds each attempt with its own timeout).
var defaultClient = &nethttp.Client{Transport: nethttp.DefaultTransport.(*nethttp.Transport).Clone()}

// WithHTTPClient sets the net/http client used to make requests (Client,
// StreamSource, PostSink), overriding a private copy of
// nethttp.DefaultTransport. A client with a Timeout cuts long streams. nil
// keeps the default.
func WithHTTPClient(c *nethttp.Client) Opt {
	return optFunc(func(o *opts) {
		if c != nil {
			o.client = c
		}
	})
}

// WithClock sets the clock the delays between retries and reconnects wait
// on, overriding the default of clock.Real.
func WithClock(c clock.Clock) Opt { return optFunc(func(o *opts) { o.clock = c }) }

// WithBackoff sets the delays between retries (Client, PostSink) and
// reconnects (StreamSource), overriding the defaults of 500ms and 30s: retry
// n waits a random duration in [d/2, d], d = min(max, initial*2^n). Values
// <= 0 keep the default; max below initial is raised to initial.
func WithBackoff(initial, max time.Duration) Opt {
	return optFunc(func(o *opts) {
		if initial > 0 {
			o.backoff.initial = initial
		}
		if max > 0 {
			o.backoff.max = max
		}
		if o.backoff.max < o.backoff.initial {
			o.backoff.max = o.backoff.initial
		}
	})
}

// WithMaxBodySize sets the longest response body read (Client, PostSink),
// overriding the default of 64 MiB. Values <= 0 keep the default.
func WithMaxBodySize(n int64) Opt {
	return optFunc(func(o *opts) {
		if n > 0 {
			o.maxBody = n
		}
	})
}

// WithMaxLineSize sets the longest SSE line a StreamSource accepts, overriding
// the default of 1 MiB. Values <= 0 keep the default. ("lines" and "ndjson"
// streams use the codec's limit, 16 MiB.)
func WithMaxLineSize(n int) Opt {
	return optFunc(func(o *opts) {
		if n > 0 {
			o.maxLine = n
		}
	})
}

// WithLogger sets the logger for reconnects (StreamSource), handler errors
// and dropped SSE clients (Server), overriding a logger that discards.
func WithLogger(l *slog.Logger) Opt {
	return optFunc(func(o *opts) {
		if l != nil {
			o.logger = l
		}
	})
}

// WithSSEBuffer sets how many events an SSE client of a Server may lag behind
// before it is dropped, overriding the default of 256. Values <= 0 keep the
// default.
func WithSSEBuffer(n int) Opt {
	return optFunc(func(o *opts) {
		if n > 0 {
			o.sseBuffer = n
		}
	})
}

// WithSSEKeepAlive sets how often a Server writes a comment on an idle SSE
// stream, overriding the default of 15s. Values <= 0 keep the default.
func WithSSEKeepAlive(d time.Duration) Opt {
	return optFunc(func(o *opts) {
		if d > 0 {
			o.keepAlive = d
		}
	})
}

// backoff computes retry delays.
type backoff struct {
	initial, max time.Duration
}

// delay returns the wait before retry n (0-based): random in [d/2, d] with
// d = min(max, base*2^n), base = initial unless base > 0 is given (an SSE
// retry: field), in which case the cap is at least base.
func (b backoff) delay(n int, base time.Duration) time.Duration {
	limit := b.max
	if base <= 0 {
		base = b.initial
	}
	if base > limit {
		limit = base
	}
	d := base
	for i := 0; i < n && d < limit; i++ {
		d *= 2
	}
	if d > limit || d <= 0 {
		d = limit
	}
	half := d / 2
	return half + rand.N(d-half+1)
}
