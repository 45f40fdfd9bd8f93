package http

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	nethttp "net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ServerConfig is the configuration of a Server: the Lua table of
// http.serve{addr=}.
type ServerConfig struct {
	// Addr is the host:port to listen on; default "127.0.0.1:8080"
	// (localhost only). Port 0 picks a free port (see Server.Addr); ":8080"
	// or "0.0.0.0:8080" listens on every interface, only when asked.
	Addr string
	// Metrics writes the run's own metric families for /metrics, which
	// adds the Go runtime and process metrics; default nil: /metrics is
	// not served (404).
	Metrics MetricsWriter
	// Held makes requests wait, from Start until Ready is called (or the
	// client gives up), before they are routed: the caller registers its
	// paths after Start without an early request getting a 404.
	Held bool
}

// ServerRequest is what a HandlerFunc gets: the req table of the Lua
// handler fn(req).
type ServerRequest struct {
	Method string // "GET" or "HEAD"
	// Path is the request path, unescaped ("/users/a b").
	Path string
	// Query holds the first value of each query parameter.
	Query map[string]string
	// Headers have lower-case names; repeated fields are joined with ", ".
	Headers map[string]string
	// RemoteAddr is the client's "ip:port".
	RemoteAddr string
}

// HandlerFunc answers a GET (or HEAD) request: the Lua fn(req) -> status,
// body, headers. Status 0 means 200. A non-nil error (or a panic) answers
// 500 "internal server error" and is logged; the client never sees it.
// ctx is done when the client goes away or the server closes. It is called
// from net/http's goroutines, concurrently.
type HandlerFunc func(ctx context.Context, req *ServerRequest) (status int, body []byte, headers map[string]string, err error)

// Server is http.serve: GET handlers, SSE hubs, /healthz ("ok") and /metrics.
// Its methods are safe for concurrent use.
//
// Lifecycle:
//  1. NewServer; Handle and SSE register paths (also allowed after Start).
//  2. Start listens and serves from a goroutine.
//  3. Close closes the SSE hubs (ending their streams), then shuts the
//     server down gracefully, waiting for in-flight handlers until ctx is
//     done, then closing the connections that remain.
type Server struct {
	cfg ServerConfig
	o   opts
	mux *nethttp.ServeMux

	// base is the parent of request contexts, cancelled by Close.
	base   context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	paths   map[string]bool
	hubs    []*SSEHub
	srv     *nethttp.Server
	ln      net.Listener
	started bool
	closed  bool
	served  chan struct{} // closed when Serve returned
	// ready is closed when requests may be routed (ServerConfig.Held);
	// closing when Close begins, which answers requests still held 503.
	ready     chan struct{}
	readyOnce sync.Once
	closing   chan struct{}
	held      atomic.Int32 // requests waiting for ready
}

// NewServer validates cfg and returns a server that is not listening yet.
// Options: WithLogger (handler errors, dropped SSE clients, serve errors),
// WithSSEBuffer, WithSSEKeepAlive.
func NewServer(cfg ServerConfig, opts ...Opt) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("http.serve: addr %q: %w", cfg.Addr, unwrapAddrError(err))
	}
	s := &Server{cfg: cfg, o: newOpts(opts), mux: nethttp.NewServeMux(), paths: map[string]bool{},
		ready: make(chan struct{}), closing: make(chan struct{})}
	if !cfg.Held {
		close(s.ready)
	}
	s.base, s.cancel = context.WithCancel(context.Background())
	s.mux.HandleFunc("GET /healthz", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok"))
	})
	s.paths["/healthz"] = true
	if cfg.Metrics != nil {
		s.mux.HandleFunc("GET /metrics", func(w nethttp.ResponseWriter, r *nethttp.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
			writeMetrics(w, cfg.Metrics)
		})
		s.paths["/metrics"] = true
	}
	return s, nil
}

func unwrapAddrError(err error) error {
	var ae *net.AddrError
	if errors.As(err, &ae) {
		return errors.New(ae.Err)
	}
	return err
}

// register claims path for a handler.
func (s *Server) register(path string, h nethttp.Handler) error {
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n") {
		return fmt.Errorf("http.serve: path must start with \"/\" and hold no spaces, got %q", path)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paths[path] {
		return fmt.Errorf("http.serve: path %q already has a handler", path)
	}
	if err := safeHandle(s.mux, "GET "+path, h); err != nil {
		return fmt.Errorf("http.serve: path %q: %w", path, err)
	}
	s.paths[path] = true
	return nil
}

// safeHandle turns ServeMux's panics on bad or conflicting patterns into errors.
func safeHandle(mux *nethttp.ServeMux, pattern string, h nethttp.Handler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

// Handle serves GET (and HEAD) requests for path with fn. path is a
// net/http ServeMux path: exact ("/stats"), a subtree when it ends in "/",
// "{name}" wildcards. Another method gets 405. A path registered twice, or
// /healthz, is an error (`http.serve: path "/x" already has a handler`).
func (s *Server) Handle(path string, fn HandlerFunc) error {
	if fn == nil {
		return errors.New("http.serve: handler must not be nil")
	}
	return s.register(path, &funcHandler{s: s, path: path, fn: fn})
}

type funcHandler struct {
	s    *Server
	path string
	fn   HandlerFunc
}

func (h *funcHandler) ServeHTTP(w nethttp.ResponseWriter, r *nethttp.Request) {
	req := &ServerRequest{
		Method:     r.Method,
		Path:       r.URL.Path,
		Query:      make(map[string]string),
		Headers:    flattenHeaders(r.Header),
		RemoteAddr: r.RemoteAddr,
	}
	for k, vs := range r.URL.Query() {
		if len(vs) > 0 {
			req.Query[k] = vs[0]
		}
	}
	status, body, headers, err := h.call(r.Context(), req)
	if err == nil && status == 0 {
		status = nethttp.StatusOK
	}
	if err == nil && (status < 100 || status > 999) {
		err = fmt.Errorf("invalid status %d", status)
	}
	if err != nil {
		h.s.o.logger.Error("http handler failed", "path", h.path, "url", r.URL.String(), "err", err.Error())
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(nethttp.StatusInternalServerError)
		w.Write([]byte("internal server error"))
		return
	}
	for k, v := range headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(status)
	if r.Method != nethttp.MethodHead {
		w.Write(body)
	}
}

// call runs the handler, turning a panic into an error (without its stack).
func (h *funcHandler) call(ctx context.Context, req *ServerRequest) (status int, body []byte, headers map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil {
			if r == nethttp.ErrAbortHandler {
				panic(r)
			}
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return h.fn(ctx, req)
}

// SSE returns a hub streaming its published events to every client of
// path (GET, text/event-stream). Errors as for Handle.
func (s *Server) SSE(path string) (*SSEHub, error) {
	h := newSSEHub(path, s.o.sseBuffer, s.o.keepAlive, s.o.logger)
	if err := s.register(path, h); err != nil {
		return nil, err
	}
	s.mu.Lock()
	closed := s.closed
	s.hubs = append(s.hubs, h)
	s.mu.Unlock()
	if closed {
		h.Close()
	}
	return h, nil
}

// Start listens on Addr and serves from a new goroutine; it returns once
// listening, or at once with an error: `http: listen 127.0.0.1:8080: address
// already in use` (which matches syscall.EADDRINUSE with errors.Is). ctx
// bounds the listen call only; Close stops the server. Calling Start again,
// or after Close, returns ErrServerClosed.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed {
		return ErrServerClosed
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("http: listen %s: %w", s.cfg.Addr, listenCause(err))
	}
	s.started, s.ln = true, ln
	s.srv = &nethttp.Server{
		Handler:           nethttp.HandlerFunc(s.route),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return s.base },
		ErrorLog:          slog.NewLogLogger(s.o.logger.Handler(), slog.LevelWarn),
	}
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, nethttp.ErrServerClosed) {
			s.o.logger.Error("http serve failed", "addr", ln.Addr().String(), "err", err.Error())
		}
	}()
	return nil
}

// Ready lets held requests (ServerConfig.Held) through; later calls do
// nothing.
func (s *Server) Ready() { s.readyOnce.Do(func() { close(s.ready) }) }

// route routes a request once the server is ready.
func (s *Server) route(w nethttp.ResponseWriter, r *nethttp.Request) {
	select {
	case <-s.ready:
	default:
		s.held.Add(1)
		select {
		case <-s.ready:
		case <-s.closing:
			s.held.Add(-1)
			nethttp.Error(w, "server closing", nethttp.StatusServiceUnavailable)
			return
		case <-r.Context().Done():
			s.held.Add(-1)
			return // the client went away
		}
		s.held.Add(-1)
	}
	s.mux.ServeHTTP(w, r)
}

// listenCause reduces `listen tcp 127.0.0.1:8080: bind: address already in
// use` to its errno, keeping errors.Is working.
func listenCause(err error) error {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err
	}
	return err
}

// Addr returns the address the server listens on ("127.0.0.1:41234"), or
// the configured one before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return s.ln.Addr().String()
	}
	return s.cfg.Addr
}

// Close closes every SSE hub, then shuts the server down: it stops
// listening, waits for in-flight handlers until ctx is done, then cancels
// request contexts and closes the remaining connections. It returns ctx's
// error when it had to force them. Safe to call more than once and before
// Start.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.closing)
	hubs := s.hubs
	srv, served := s.srv, s.served
	s.mu.Unlock()
	for _, h := range hubs {
		h.Close()
	}
	if srv == nil {
		s.cancel()
		return nil
	}
	err := srv.Shutdown(ctx)
	s.cancel()
	if err != nil {
		err = errors.Join(fmt.Errorf("http: shutdown: %w", err), srv.Close())
	}
	<-served
	return err
}
