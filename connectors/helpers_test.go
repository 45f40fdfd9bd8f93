package connectors

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/streamctl/streamctl/connectors/codec"
)

// lineCodec is a private line codec for the cases the real line codecs never
// produce: one string per line, a line starting with "!" is bad input the
// decoder resyncs from; "!!" is bad input it cannot resync from (as a framed
// binary format would). A last line without newline is a record.
type lineCodec struct{}

func (lineCodec) Name() string                              { return "testlines" }
func (lineCodec) NewDecoder(r io.Reader) codec.Decoder      { return &lineDecoder{r: bufio.NewReader(r)} }
func (lineCodec) NewEncoder(w io.Writer) codec.Encoder      { return &lineEncoder{w: w} }
func (lineCodec) Unmarshal(data []byte) (any, error)        { return string(data), nil }
func (lineCodec) Marshal(dst []byte, v any) ([]byte, error) { return fmt.Append(dst, v), nil }

type lineDecoder struct {
	r   *bufio.Reader
	pos int64
	buf []byte
}

func (d *lineDecoder) Decode() (any, []byte, int64, error) {
	line, err := d.r.ReadBytes('\n')
	if len(line) == 0 && err != nil {
		return nil, nil, 0, err
	}
	if err != nil && err != io.EOF {
		return nil, nil, 0, err
	}
	d.pos++
	d.buf = bytes.TrimSuffix(line, []byte("\n"))
	switch {
	case bytes.HasPrefix(d.buf, []byte("!!")):
		return nil, d.buf, d.pos, &codec.DecodeError{Pos: d.pos, Err: fmt.Errorf("fatal line %q", d.buf)}
	case bytes.HasPrefix(d.buf, []byte("!")):
		return nil, d.buf, d.pos, &codec.DecodeError{Pos: d.pos, Err: fmt.Errorf("bad line %q", d.buf), Resync: true}
	}
	return string(d.buf), d.buf, d.pos, nil
}

type lineEncoder struct{ w io.Writer }

func (e *lineEncoder) Encode(v any) error {
	_, err := fmt.Fprintf(e.w, "%v\n", v)
	return err
}
func (e *lineEncoder) Flush() error { return nil }

// textCodec returns the real "text" codec.
func textCodec(t *testing.T) codec.Codec {
	t.Helper()
	c, err := codec.Lookup("text")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// jsonCodec returns the real "json" codec (NDJSON), for bad-input cases.
func jsonCodec(t *testing.T) codec.Codec {
	t.Helper()
	c, err := codec.Lookup("json")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitFor polls cond every millisecond until it holds or timeout passes.
func waitFor(t *testing.T, cond func() bool, timeout time.Duration) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("condition not met within %v", timeout)
		case <-tick.C:
		}
	}
}

// collector runs a source in a goroutine and records what it emits.
type collector struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error // valid after done is closed

	mu   sync.Mutex
	recs []Record
}

// start runs src until it returns or the test ends (then it is cancelled and
// waited for).
func start(t *testing.T, src Source) *collector {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &collector{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.err = src.Run(ctx, func(_ context.Context, r Record) error {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.recs = append(c.recs, r)
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-c.done
	})
	return c
}

func (c *collector) records() []Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Record(nil), c.recs...)
}

func (c *collector) values() []any {
	var vs []any
	for _, r := range c.records() {
		vs = append(vs, r.Value)
	}
	return vs
}

// waitN waits until at least n records arrived and returns them.
func (c *collector) waitN(t *testing.T, n int) []Record {
	t.Helper()
	waitFor(t, func() bool { return len(c.records()) >= n }, 5*time.Second)
	return c.records()
}

// wait waits for Run to return and returns its error.
func (c *collector) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-c.done:
		return c.err
	case <-time.After(5 * time.Second):
		t.Fatal("source did not return within 5s")
		return nil
	}
}

// stop cancels the source and returns Run's error.
func (c *collector) stop(t *testing.T) error {
	t.Helper()
	c.cancel()
	return c.wait(t)
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// strs returns the string values of recs, "ERR" for bad input.
func strs(recs []Record) []string {
	var out []string
	for _, r := range recs {
		if r.Err != nil {
			out = append(out, "ERR")
			continue
		}
		out = append(out, fmt.Sprint(r.Value))
	}
	return out
}

func positions(recs []Record) []int64 {
	var out []int64
	for _, r := range recs {
		out = append(out, r.Pos)
	}
	return out
}
