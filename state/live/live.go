// Package live serves consistent reads of a state directory held by a
// running job to other processes, over a Unix socket beside its database:
// `streamctl state ls|get|dump` then read the last commit through the job
// instead of failing because the job locks the directory (api.md section 5).
// It never opens a network port and serves reads only; commands that write
// still fail with the holder's pid.
//
// The protocol is one JSON request line, {"op": "names"}, {"op": "has",
// "name": NAME}, {"op": "entries", "name": NAME} or {"op": "get", "name":
// NAME, "key": K}, answered by JSON lines: {"name": N} per name, or {"key":
// K, "value": V, "expires": E} per entry with K and V the stored key and
// value encodings (base64; K absent for a collector state), so the client
// decodes them exactly as a local read would; then {"end": true} or
// {"error": MESSAGE}. The Client is a state.Reader.
package live

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/streamctl/streamctl/state"
)

// SocketPath returns the socket of the state directory dir: dir/live.sock,
// or, where that path is too long for a Unix socket address, a file in the
// temporary directory named after dir's absolute path.
func SocketPath(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	p := filepath.Join(abs, "live.sock")
	if len(p) < 100 {
		return p
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(os.TempDir(), "streamctl-"+hex.EncodeToString(sum[:8])+".sock")
}

// request is a client's request line.
type request struct {
	Op   string `json:"op"`
	Name string `json:"name,omitempty"`
	Key  []byte `json:"key,omitempty"`
}

// reply is one response line.
type reply struct {
	Name    string `json:"name,omitempty"`
	Key     []byte `json:"key,omitempty"`
	Value   []byte `json:"value,omitempty"`
	Expires int64  `json:"expires,omitempty"`
	End     bool   `json:"end,omitempty"`
	Error   string `json:"error,omitempty"`
	// Missing marks an Error that is state.ErrNotExist.
	Missing bool `json:"missing,omitempty"`
}

// Server answers reads of one Store.
type Server struct {
	st   *state.Store
	ln   net.Listener
	path string
	log  *slog.Logger
	wg   sync.WaitGroup
}

// Listen creates the socket of st's directory, replacing one left by a
// process that died (the caller holds the directory, so no live server is
// there), and serves reads in a goroutine per connection until Close.
func Listen(st *state.Store, log *slog.Logger) (*Server, error) {
	path := SocketPath(st.Dir())
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("state directory %s: serve reads: %w", st.Dir(), err)
	}
	s := &Server{st: st, ln: ln, path: path, log: log}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Close stops serving, waits for the connections being answered and
// removes the socket.
func (s *Server) Close() error {
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			if err := s.serve(conn); err != nil {
				s.log.Debug("live read", "err", err)
			}
		}()
	}
}

// serve answers one request.
func (s *Server) serve(conn net.Conn) error {
	_ = conn.SetDeadline(time.Now().Add(10 * time.Minute))
	br := bufio.NewReader(conn)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return err
	}
	var req request
	bw := bufio.NewWriter(conn)
	enc := json.NewEncoder(bw)
	finish := func(err error) error {
		r := reply{End: true}
		if err != nil {
			r = reply{Error: err.Error(), Missing: errors.Is(err, state.ErrNotExist)}
		}
		if err := enc.Encode(r); err != nil {
			return err
		}
		return bw.Flush()
	}
	if err := json.Unmarshal(line, &req); err != nil {
		return finish(fmt.Errorf("bad request: %w", err))
	}
	snap, err := s.st.Snapshot()
	if err != nil {
		return finish(err)
	}
	defer snap.Release()
	switch req.Op {
	case "names":
		names, err := snap.Names()
		for _, n := range names {
			if err := enc.Encode(reply{Name: n}); err != nil {
				return err
			}
		}
		return finish(err)
	case "has", "entries", "get":
		ok, err := snap.Has(req.Name)
		if err == nil && !ok {
			err = state.NotExist(s.st.Dir(), req.Name)
		}
		switch {
		case err != nil, req.Op == "has":
		case req.Op == "entries":
			err = snap.Entries(req.Name, func(e state.RawEntry) error {
				return enc.Encode(reply{Key: e.Key, Value: e.Value, Expires: e.Expires})
			})
		default:
			var e state.RawEntry
			if e, ok, err = snap.Get(req.Name, req.Key); ok {
				err = enc.Encode(reply{Key: e.Key, Value: e.Value, Expires: e.Expires})
			}
		}
		return finish(err)
	}
	return finish(fmt.Errorf("bad request: unknown op %q", req.Op))
}

// ErrNoServer is returned by the client when no job serves the directory.
var ErrNoServer = errors.New("no job serves reads of this state directory")

// Client reads a state directory through the job that holds it.
type Client struct {
	dir, path string
}

// NewClient returns a client of the job holding the state directory dir.
// It connects per call.
func NewClient(dir string) *Client { return &Client{dir: dir, path: SocketPath(dir)} }

// call sends one request and passes each reply line to fn.
func (c *Client) call(ctx context.Context, req request, fn func(reply) error) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoServer, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	b, _ := json.Marshal(req)
	if _, err := conn.Write(append(b, '\n')); err != nil {
		return err
	}
	dec := json.NewDecoder(bufio.NewReader(conn))
	for {
		var r reply
		if err := dec.Decode(&r); err != nil {
			return fmt.Errorf("read from the job: %w", err)
		}
		switch {
		case r.Missing:
			return state.NotExist(c.dir, req.Name)
		case r.Error != "":
			return errors.New(r.Error)
		case r.End:
			return nil
		}
		if err := fn(r); err != nil {
			return err
		}
	}
}

// Names implements state.Reader: the caches and collector states as of the
// job's last commit.
func (c *Client) Names() ([]string, error) {
	ctx := context.Background()
	var names []string
	err := c.call(ctx, request{Op: "names"}, func(r reply) error {
		names = append(names, r.Name)
		return nil
	})
	return names, err
}

// Entries calls fn with each entry of the cache or "state/NAME" name as of
// the job's last commit (see state.Snapshot.Entries); an error wrapping
// state.ErrNotExist when it does not exist.
func (c *Client) Entries(name string, fn func(state.RawEntry) error) error {
	return c.call(context.Background(), request{Op: "entries", Name: name}, func(r reply) error {
		return fn(state.RawEntry{Key: r.Key, Value: r.Value, Expires: r.Expires})
	})
}

// CheckExists implements state.Reader.
func (c *Client) CheckExists(name string) error {
	return c.call(context.Background(), request{Op: "has", Name: name}, func(reply) error { return nil })
}

// Dump implements state.Reader: each entry decoded as a local dump would.
func (c *Client) Dump(name string, fn func(state.DumpLine) error) error {
	return c.Entries(name, func(e state.RawEntry) error {
		l, err := dumpLine(name, e)
		if err != nil {
			return err
		}
		return fn(l)
	})
}

// Get implements state.Reader.
func (c *Client) Get(name string, key any) (any, bool, error) {
	var k []byte
	if !strings.HasPrefix(name, "state/") {
		var err error
		if k, err = state.EncodeKey(key); err != nil {
			return nil, false, err
		}
	}
	var v any
	found := false
	err := c.call(context.Background(), request{Op: "get", Name: name, Key: k}, func(r reply) error {
		var err error
		v, err = state.DecodeValue(r.Value)
		found = err == nil
		return err
	})
	return v, found, err
}

// dumpLine decodes an entry of name.
func dumpLine(name string, e state.RawEntry) (state.DumpLine, error) {
	l := state.DumpLine{Cache: name}
	var err error
	if e.Key != nil {
		if l.Key, err = state.DecodeKey(e.Key); err != nil {
			return l, err
		}
	}
	if l.Value, err = state.DecodeValue(e.Value); err != nil {
		return l, err
	}
	if e.Expires != 0 {
		l.Expires = time.Unix(0, e.Expires)
	}
	return l, nil
}

var _ state.Reader = (*Client)(nil)
