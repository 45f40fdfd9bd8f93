package http

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// parseAll reads every event from r; err is the final error (nil for EOF).
func parseAll(r io.Reader, maxLine int) (evs []SSEEvent, lastID string, retry time.Duration, err error) {
	p := NewSSEReader(r, maxLine)
	for {
		ev, err := p.Next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			lastID, _ = p.LastEventID()
			return evs, lastID, p.Retry(), err
		}
		evs = append(evs, ev)
	}
}

// chunkReader returns its input in pieces of the given sizes, cycling.
type chunkReader struct {
	data  []byte
	sizes []int
	i     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := c.sizes[c.i%len(c.sizes)]
	c.i++
	n = max(1, min(n, len(p), len(c.data)))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func msg(id, data string) SSEEvent { return SSEEvent{ID: id, Event: "message", Data: data} }

func TestSSEReader(t *testing.T) {
	for _, tt := range []struct {
		name    string
		in      string
		want    []SSEEvent
		lastID  string
		retry   time.Duration
		wantErr string
	}{
		{name: "one event", in: "data: hello\n\n", want: []SSEEvent{msg("", "hello")}},
		{name: "multi-line data", in: "data: a\ndata:b\ndata\ndata:  c\n\n", want: []SSEEvent{msg("", "a\nb\n\n c")}},
		{name: "CRLF", in: "event: add\r\ndata: 1\r\nid: 7\r\n\r\ndata: 2\r\n\r\n",
			want: []SSEEvent{{ID: "7", Event: "add", Data: "1"}, msg("7", "2")}, lastID: "7"},
		{name: "lone CR", in: "data: a\rdata: b\r\rdata: c\r\r", want: []SSEEvent{msg("", "a\nb"), msg("", "c")}},
		{name: "mixed endings", in: "data: a\r\ndata: b\rdata: c\n\r\n", want: []SSEEvent{msg("", "a\nb\nc")}},
		{name: "CR then LF is one ending, CR CR two", in: "data: a\r\n\rdata: b\r\r", want: []SSEEvent{msg("", "a"), msg("", "b")}},
		{name: "BOM skipped", in: "\xEF\xBB\xBFdata: x\n\n", want: []SSEEvent{msg("", "x")}},
		{name: "second BOM is data", in: "\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\ndata: y\n\n", want: []SSEEvent{msg("", "y")}},
		{name: "partial BOM", in: "\xEF\xBBdata: x\n\ndata: y\n\n", want: []SSEEvent{msg("", "y")}},
		{name: "comments", in: ": hi\n:\ndata: x\n: between\n\n", want: []SSEEvent{msg("", "x")}},
		{name: "no trailing blank line", in: "data: a\n\ndata: b\n", want: []SSEEvent{msg("", "a")}},
		{name: "no trailing newline", in: "data: a\n\ndata: b", want: []SSEEvent{msg("", "a")}},
		{name: "unfinished id discarded", in: "data: a\n\nid: 9\n", want: []SSEEvent{msg("", "a")}},
		{name: "empty data dispatches", in: "data\n\ndata:\n\n", want: []SSEEvent{msg("", ""), msg("", "")}},
		{name: "no data no dispatch", in: "event: x\n\ndata: y\n\n", want: []SSEEvent{msg("", "y")}},
		{name: "id persists", in: "id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n",
			want: []SSEEvent{msg("1", "a"), msg("1", "b"), msg("", "c")}},
		{name: "id with NUL ignored", in: "id: 1\n\nid: 2\x003\ndata: a\n\n", want: []SSEEvent{msg("1", "a")}, lastID: "1"},
		{name: "id only block sets last ID", in: "data: a\n\nid: 5\n\n", want: []SSEEvent{msg("", "a")}, lastID: "5"},
		{name: "retry digits", in: "retry: 1500\ndata: a\n\n", want: []SSEEvent{msg("", "a")}, retry: 1500 * time.Millisecond},
		{name: "retry invalid ignored", in: "retry: 10\nretry: 1.5\nretry: -1\nretry: 2s\nretry:\nretry:  20\n\n", retry: 10 * time.Millisecond},
		{name: "retry huge saturates", in: "retry:99999999999999999999\n\n", retry: time.Duration(1<<63 - 1)},
		{name: "unknown fields", in: "foo: bar\nDATA: x\ndata : y\ndata: z\n\n", want: []SSEEvent{msg("", "z")}},
		{name: "colon in value", in: "data: a: b:c\n\n", want: []SSEEvent{msg("", "a: b:c")}},
		{name: "event type reset", in: "event: e\ndata: 1\n\ndata: 2\n\n",
			want: []SSEEvent{{Event: "e", Data: "1"}, msg("", "2")}},
		{name: "line at the limit", in: "data:" + strings.Repeat("x", 27) + "\n\n",
			want: []SSEEvent{msg("", strings.Repeat("x", 27))}},
		{name: "line over the limit", in: "data: a\n\ndata:" + strings.Repeat("x", 28) + "\n\n",
			want: []SSEEvent{msg("", "a")}, wantErr: "sse: line longer than 32 bytes"},
		{name: "unterminated line over the limit", in: "data: a\n\n" + strings.Repeat("x", 33),
			want: []SSEEvent{msg("", "a")}, wantErr: "sse: line longer than 32 bytes"},
		{name: "event over the data limit", in: strings.Repeat("data:"+strings.Repeat("x", 27)+"\n", 30) + "\n",
			wantErr: "sse: event data longer than 512 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			readers := map[string]func() io.Reader{
				"whole":   func() io.Reader { return strings.NewReader(tt.in) },
				"1 byte":  func() io.Reader { return iotest.OneByteReader(strings.NewReader(tt.in)) },
				"chunks":  func() io.Reader { return &chunkReader{data: []byte(tt.in), sizes: []int{2, 3, 1, 5}} },
				"dataerr": func() io.Reader { return iotest.DataErrReader(strings.NewReader(tt.in)) },
			}
			for rname, r := range readers {
				evs, lastID, retry, err := parseAll(r(), 32)
				if !reflect.DeepEqual(evs, tt.want) {
					t.Errorf("%s: events = %q, want %q", rname, evs, tt.want)
				}
				if lastID != tt.lastID && tt.wantErr == "" {
					t.Errorf("%s: last ID = %q, want %q", rname, lastID, tt.lastID)
				}
				if retry != tt.retry {
					t.Errorf("%s: retry = %v, want %v", rname, retry, tt.retry)
				}
				if fmt.Sprint(err) != fmt.Sprint(errOrNil(tt.wantErr)) {
					t.Errorf("%s: err = %v, want %q", rname, err, tt.wantErr)
				}
			}
		})
	}
}

func errOrNil(s string) error {
	if s == "" {
		return nil
	}
	return errors.New(s)
}

func TestSSEReaderLimitError(t *testing.T) {
	_, _, _, err := parseAll(strings.NewReader("data: "+strings.Repeat("x", 1<<20)+"\n\n"), 0)
	if err == nil || err.Error() != "sse: line longer than 1 MiB" || !errors.Is(err, ErrLineTooLong) {
		t.Errorf("err = %v", err)
	}
	// The limit applies before the line ends: an endless line is not read
	// into memory.
	p := NewSSEReader(io.MultiReader(strings.NewReader("data: "), endless{}), 1<<10)
	if _, err := p.Next(); !errors.Is(err, ErrLineTooLong) {
		t.Errorf("endless line: err = %v", err)
	}
	if _, err := p.Next(); !errors.Is(err, ErrLineTooLong) {
		t.Errorf("error not sticky: %v", err)
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// TestSSEReaderIncremental checks that Next returns an event as soon as its
// blank line arrived, without reading further.
func TestSSEReaderIncremental(t *testing.T) {
	pr, pw := io.Pipe()
	p := NewSSEReader(pr, 0)
	go func() {
		io.WriteString(pw, "\xEF\xBB\xBFdata: one\r")
		io.WriteString(pw, "\r") // the blank line: no LF follows yet
	}()
	ev, err := p.Next()
	if err != nil || ev.Data != "one" {
		t.Fatalf("Next = %v, %v", ev, err)
	}
	go func() {
		io.WriteString(pw, "\ndata: two\n\n") // this LF belongs to no line
		pw.Close()
	}()
	if ev, err := p.Next(); err != nil || ev.Data != "two" {
		t.Fatalf("Next = %v, %v", ev, err)
	}
	if _, err := p.Next(); err != io.EOF {
		t.Fatalf("Next = %v, want EOF", err)
	}
}

func TestSSEReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	p := NewSSEReader(io.MultiReader(strings.NewReader("data: a\n\ndata: b\n"), iotest.ErrReader(boom)), 0)
	if ev, err := p.Next(); err != nil || ev.Data != "a" {
		t.Fatalf("Next = %v, %v", ev, err)
	}
	if _, err := p.Next(); err != boom {
		t.Fatalf("Next = %v, want boom", err)
	}
}

func TestAppendSSE(t *testing.T) {
	for _, tt := range []struct {
		ev   SSEEvent
		want string
	}{
		{SSEEvent{Data: "x"}, "data: x\n\n"},
		{SSEEvent{Data: ""}, "data: \n\n"},
		{SSEEvent{ID: "1", Event: "add", Data: "a\nb\r\nc\rd"}, "id: 1\nevent: add\ndata: a\ndata: b\ndata: c\ndata: d\n\n"},
		{SSEEvent{ID: "1\n2", Event: "a\rb", Data: " x\n"}, "id: 12\nevent: ab\ndata:  x\ndata: \n\n"},
	} {
		got := string(AppendSSE(nil, tt.ev))
		if got != tt.want {
			t.Errorf("AppendSSE(%q) = %q, want %q", tt.ev, got, tt.want)
		}
	}
}

// FuzzSSE checks that parsing never panics and gives the same events, last
// event ID, retry and error whichever way the input is chunked; and that an
// event written by AppendSSE parses back to itself.
func FuzzSSE(f *testing.F) {
	for _, s := range []string{
		"data: a\n\n", "data: a\r\ndata: b\r\n\r\n", "data: a\rdata: b\r\r", "\xEF\xBB\xBFdata: x\n\n",
		": c\nid: 1\nevent: e\nretry: 10\ndata: x\n\n", "data: x\n", "id: a\x00b\n\n", "retry: 12a\n\n",
		"data:" + strings.Repeat("x", 70) + "\n\n", "\r\n\r\n\n\r", "\xEF\xBB",
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, seed uint8) {
		const maxLine = 64
		evs, id, retry, err := parseAll(bytes.NewReader(in), maxLine)
		sizes := []int{int(seed%7) + 1, int(seed/7%5) + 1, 1, int(seed%13) + 2}
		for name, r := range map[string]io.Reader{
			"1 byte": iotest.OneByteReader(bytes.NewReader(in)),
			"chunks": &chunkReader{data: in, sizes: sizes},
			"half":   iotest.HalfReader(bytes.NewReader(in)),
		} {
			evs2, id2, retry2, err2 := parseAll(r, maxLine)
			if !reflect.DeepEqual(evs, evs2) || id != id2 || retry != retry2 || fmt.Sprint(err) != fmt.Sprint(err2) {
				t.Fatalf("%s: got %q %q %v %v, want %q %q %v %v", name, evs2, id2, retry2, err2, evs, id, retry, err)
			}
		}

		// Round trip: an event built from the input.
		s := string(in)
		k := int(seed) % (len(s) + 1)
		ev := SSEEvent{ID: strings.ReplaceAll(s[:k], "\x00", ""), Event: s[k:min(len(s), k+3)], Data: s}
		got, _, _, err := parseAll(bytes.NewReader(AppendSSE(nil, ev)), 1<<20)
		want := SSEEvent{
			ID:    stripBreaks(ev.ID),
			Event: stripBreaks(ev.Event),
			Data:  strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(ev.Data),
		}
		if want.Event == "" {
			want.Event = "message"
		}
		if err != nil || len(got) != 1 || got[0] != want {
			t.Fatalf("round trip of %q: got %q, %v", ev, got, err)
		}
	})
}
