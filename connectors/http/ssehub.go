package http

import (
	"log/slog"
	nethttp "net/http"
	"sync"
	"time"

	"context"
	"fmt"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/codec"
)

// SSEHub fans published events out to the clients connected to one SSE path
// of a Server. Each client has a bounded buffer (default 256 events,
// WithSSEBuffer); a client that falls that far behind is dropped (its
// connection closed, a warning logged) so that Publish never blocks. Clients
// get events published after they connected: there is no replay, and a
// Last-Event-ID header is ignored. Safe for concurrent use.
type SSEHub struct {
	path      string
	size      int
	keepAlive time.Duration
	logger    *slog.Logger

	mu      sync.Mutex
	clients map[*sseClient]struct{}
	closed  bool
	done    chan struct{} // closed by Close
}

type sseClient struct {
	ch      chan SSEEvent
	dropped chan struct{} // closed when Publish drops the client
	remote  string
}

func newSSEHub(path string, size int, keepAlive time.Duration, logger *slog.Logger) *SSEHub {
	return &SSEHub{
		path: path, size: size, keepAlive: keepAlive, logger: logger,
		clients: map[*sseClient]struct{}{}, done: make(chan struct{}),
	}
}

// Publish sends ev to every connected client without blocking: a client
// whose buffer is full is dropped. After Close it does nothing.
func (h *SSEHub) Publish(ev SSEEvent) {
	var dropped []*sseClient
	h.mu.Lock()
	for c := range h.clients {
		select {
		case c.ch <- ev:
		default:
			delete(h.clients, c)
			close(c.dropped)
			dropped = append(dropped, c)
		}
	}
	h.mu.Unlock()
	for _, c := range dropped {
		h.logger.Warn("sse client too slow, dropped", "path", h.path, "remote", c.remote, "buffer", h.size)
	}
}

// Close ends every client's stream, after sending the events already
// published to it, and refuses new clients (503). Server.Close calls it; safe
// to call more than once.
func (h *SSEHub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.done)
		clear(h.clients)
	}
}

func (h *SSEHub) add(remote string) *sseClient {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	c := &sseClient{ch: make(chan SSEEvent, h.size), dropped: make(chan struct{}), remote: remote}
	h.clients[c] = struct{}{}
	return c
}

func (h *SSEHub) remove(c *sseClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, c)
}

// ServeHTTP streams events to one client until it goes away, is dropped, or
// the hub or server closes.
func (h *SSEHub) ServeHTTP(w nethttp.ResponseWriter, r *nethttp.Request) {
	c := h.add(r.RemoteAddr)
	if c == nil {
		nethttp.Error(w, "server closing", nethttp.StatusServiceUnavailable)
		return
	}
	defer h.remove(c)
	rc := nethttp.NewResponseController(w)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(nethttp.StatusOK)
	if rc.Flush() != nil {
		return
	}

	// A dropped client may be stuck in Write on a full socket: a past write
	// deadline unblocks it. The watcher ends before ServeHTTP returns, so
	// the deadline is never set on a connection serving something else.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-c.dropped:
			rc.SetWriteDeadline(time.Now())
		case <-stop:
		}
	})
	defer wg.Wait()
	defer close(stop)

	tick := time.NewTicker(h.keepAlive)
	defer tick.Stop()
	var buf []byte
	for {
		select {
		case ev := <-c.ch:
			buf = AppendSSE(buf[:0], ev)
			for len(buf) < 64<<10 && len(c.ch) > 0 {
				buf = AppendSSE(buf, <-c.ch)
			}
		case <-tick.C:
			buf = append(buf[:0], ": keep-alive\n\n"...)
		case <-c.dropped:
			// Abort rather than end the response: the connection is
			// closed, not kept alive with the client none the wiser.
			panic(nethttp.ErrAbortHandler)
		case <-h.done:
			// Send what was published before Close, then end the stream.
			buf = buf[:0]
			for len(c.ch) > 0 {
				buf = AppendSSE(buf, <-c.ch)
			}
			if len(buf) > 0 {
				if _, err := w.Write(buf); err == nil {
					rc.Flush()
				}
			}
			return
		case <-r.Context().Done():
			return
		}
		if _, err := w.Write(buf); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
		if cap(buf) > 1<<20 {
			buf = nil
		}
	}
}

// SSESinkConfig configures the sink returned by SSEHub.Sink.
type SSESinkConfig struct {
	// Codec encodes record values into event data; default text (strings
	// as they are, numbers as Lua prints them, tables as compact JSON).
	Codec codec.Codec
}

// Sink returns a sink publishing each record as an event: the binding of
// :sse(path, source). Data is the value encoded with the codec; Event is
// Meta["event"] and ID is Meta["id"] when they are strings. Write never
// blocks; Flush and Close do nothing (closing the hub is the server's job).
func (h *SSEHub) Sink(cfg SSESinkConfig) connectors.Sink {
	if cfg.Codec == nil {
		cfg.Codec, _ = codec.Lookup("text")
	}
	return &sseSink{h: h, c: cfg.Codec}
}

type sseSink struct {
	h   *SSEHub
	c   codec.Codec
	buf []byte
}

func (s *sseSink) Name() string { return "sse:" + s.h.path }

func (s *sseSink) Write(_ context.Context, r connectors.Record) error {
	var err error
	s.buf, err = s.c.Marshal(s.buf[:0], r.Value)
	if err != nil {
		return fmt.Errorf("sse %s: encode: %w", s.h.path, err)
	}
	ev := SSEEvent{Data: string(s.buf)}
	event, _ := r.MetaField("event")
	id, _ := r.MetaField("id")
	ev.Event, _ = event.(string)
	ev.ID, _ = id.(string)
	s.h.Publish(ev)
	return nil
}

func (s *sseSink) Flush(context.Context) error { return nil }
func (s *sseSink) Close(context.Context) error { return nil }

var _ connectors.Named = (*sseSink)(nil)
