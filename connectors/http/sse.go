package http

import (
	"bytes"
	"io"
	"math"
	"strings"
	"time"
)

// SSEEvent is one server-sent event: what SSEReader.Next returns and what
// SSEHub.Publish sends.
type SSEEvent struct {
	// ID is the last event ID (the "id" field); as parsed, the last one
	// seen on the stream, which persists from event to event as in the spec.
	ID string
	// Event is the event type; as parsed, "message" when the event had none.
	Event string
	// Data is the data, its lines joined with "\n".
	Data string
}

// SSEReader parses a text/event-stream as the WHATWG HTML spec's "event
// stream interpretation" says, reading incrementally: Next returns as soon as
// the blank line ending an event has been read, however the input is chunked,
// and never reads more than it needs to. Not safe for concurrent use.
//
//   - Lines end in "\r\n", "\n" or "\r" (a "\r" is never held back to see
//     whether "\n" follows); one leading UTF-8 BOM is skipped.
//   - "data" appends its value and "\n" to the data buffer; "event" sets the
//     type; "id" sets the last event ID unless the value holds a NUL;
//     "retry" sets the reconnection time when the value is only ASCII
//     digits; lines starting with ":" are comments; other fields are
//     ignored. A field without ":" has an empty value; one space after
//     the ":" is dropped.
//   - A blank line dispatches the event, unless its data buffer is empty
//     (then only the last event ID is updated). The data's final "\n" is
//     removed.
//   - At the end of input an event without its blank line, and a last
//     line without its line ending, are discarded (as the spec says:
//     browsers never dispatch them).
//
// Deviation: bytes are kept as they are, not decoded as UTF-8 with
// replacement characters, so binary-safe Lua strings see what was sent.
type SSEReader struct {
	r       io.Reader
	buf     []byte // read buffer; buf[start:end] is unread
	start   int
	end     int
	rerr    error  // read error to report once buf is consumed
	line    []byte // partial line carried across reads
	skipLF  bool   // the last line ended in "\r": drop a "\n" right after it
	bomDone bool
	maxLine int

	data    []byte
	event   string
	idBuf   string
	lastID  string // last event ID at the last blank line
	idSeen  bool   // a blank line was processed
	retry   time.Duration
	err     error // sticky
	maxData int
}

// NewSSEReader returns a parser reading r. maxLine is the longest line
// accepted, without its line ending (<= 0: DefaultMaxLineSize, 1 MiB); the
// data of one event may reach 16 times that.
func NewSSEReader(r io.Reader, maxLine int) *SSEReader {
	if maxLine <= 0 {
		maxLine = DefaultMaxLineSize
	}
	maxData := maxLine * 16
	if maxData/16 != maxLine {
		maxData = math.MaxInt
	}
	return &SSEReader{r: r, buf: make([]byte, 32<<10), maxLine: maxLine, maxData: maxData}
}

// Next blocks until the next event is dispatched and returns it. At the end
// of input it returns io.EOF (discarding an unfinished event); a line longer
// than the limit gives `sse: line longer than 1 MiB` (wrapping
// ErrLineTooLong); read errors are returned as they are. Errors are sticky.
func (p *SSEReader) Next() (SSEEvent, error) {
	if p.err != nil {
		return SSEEvent{}, p.err
	}
	for {
		line, err := p.readLine()
		if err != nil {
			p.err = err
			return SSEEvent{}, err
		}
		if ev, ok, err := p.process(line); err != nil {
			p.err = err
			return SSEEvent{}, err
		} else if ok {
			return ev, nil
		}
	}
}

// LastEventID returns the last event ID as of the last blank line read, and
// whether a blank line was read at all. A reconnecting client sends it as
// Last-Event-ID; it changes at blank lines even when no event is dispatched
// ("id: 7\n\n").
func (p *SSEReader) LastEventID() (string, bool) { return p.lastID, p.idSeen }

// Retry returns the reconnection time of the last valid "retry" field, or 0
// when there was none.
func (p *SSEReader) Retry() time.Duration { return p.retry }

// process handles one line; ok reports a dispatched event.
func (p *SSEReader) process(line []byte) (ev SSEEvent, ok bool, err error) {
	if len(line) == 0 {
		p.lastID, p.idSeen = p.idBuf, true
		if len(p.data) == 0 {
			p.event = ""
			return SSEEvent{}, false, nil
		}
		ev = SSEEvent{ID: p.idBuf, Event: p.event, Data: string(p.data[:len(p.data)-1])}
		if ev.Event == "" {
			ev.Event = "message"
		}
		p.data, p.event = p.data[:0], ""
		if cap(p.data) > 1<<20 {
			p.data = nil // do not keep a huge buffer after one large event
		}
		return ev, true, nil
	}
	if line[0] == ':' {
		return SSEEvent{}, false, nil
	}
	field, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		field, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(field) {
	case "data":
		if len(p.data)+len(value)+1 > p.maxData {
			return SSEEvent{}, false, &limitError{"sse: event data longer than", int64(p.maxData), ErrEventTooLarge}
		}
		p.data = append(append(p.data, value...), '\n')
	case "event":
		p.event = string(value)
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			p.idBuf = string(value)
		}
	case "retry":
		if ms, ok := parseDigits(value); ok {
			p.retry = ms
		}
	}
	return SSEEvent{}, false, nil
}

// parseDigits parses a retry value in milliseconds: ASCII digits only,
// saturating at the largest time.Duration.
func parseDigits(b []byte) (time.Duration, bool) {
	if len(b) == 0 {
		return 0, false
	}
	const maxMS = int64(math.MaxInt64 / int64(time.Millisecond))
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n <= maxMS {
			n = n*10 + int64(c-'0')
		}
	}
	if n > maxMS {
		return time.Duration(math.MaxInt64), true
	}
	return time.Duration(n) * time.Millisecond, true
}

// readLine returns the next line without its line ending, valid until the
// next call. At the end of input it returns io.EOF, dropping an unfinished
// line.
func (p *SSEReader) readLine() ([]byte, error) {
	if !p.bomDone {
		if err := p.skipBOM(); err != nil {
			return nil, err
		}
	}
	for {
		for p.start < p.end {
			if p.skipLF {
				p.skipLF = false
				if p.buf[p.start] == '\n' {
					p.start++
					continue
				}
			}
			chunk := p.buf[p.start:p.end]
			i := bytes.IndexAny(chunk, "\r\n")
			if i < 0 {
				if len(p.line)+len(chunk) > p.maxLine {
					return nil, p.tooLong()
				}
				p.line = append(p.line, chunk...)
				p.start = p.end
				break
			}
			p.start += i + 1
			p.skipLF = chunk[i] == '\r'
			seg := chunk[:i]
			if len(p.line)+len(seg) > p.maxLine {
				return nil, p.tooLong()
			}
			if len(p.line) == 0 {
				return seg, nil
			}
			l := append(p.line, seg...)
			p.line = l[:0]
			if cap(p.line) > 64<<10 {
				p.line = nil
			}
			return l, nil
		}
		if err := p.fill(); err != nil {
			return nil, err
		}
	}
}

func (p *SSEReader) tooLong() error {
	return &limitError{"sse: line longer than", int64(p.maxLine), ErrLineTooLong}
}

// skipBOM reads until it knows whether the input starts with a UTF-8 BOM,
// and skips it. It returns as soon as a byte differs, never waiting for more
// input than that.
func (p *SSEReader) skipBOM() error {
	const bom = "\xEF\xBB\xBF"
	for {
		n := p.end - p.start
		k := min(n, len(bom))
		if string(p.buf[p.start:p.start+k]) != bom[:k] {
			p.bomDone = true
			return nil
		}
		if k == len(bom) {
			p.start += len(bom)
			p.bomDone = true
			return nil
		}
		if err := p.fill(); err != nil {
			if err == io.EOF {
				p.bomDone = true
			}
			return err
		}
	}
}

// fill reads more input after buf[start:end]; it returns the read error only
// when nothing was read.
func (p *SSEReader) fill() error {
	if p.rerr != nil {
		return p.rerr
	}
	if p.start == p.end {
		p.start, p.end = 0, 0
	}
	for range 100 {
		n, err := p.r.Read(p.buf[p.end:])
		if n < 0 || n > len(p.buf)-p.end {
			n = 0
			err = io.ErrShortBuffer
		}
		p.end += n
		if err != nil {
			p.rerr = err
			if n > 0 {
				return nil
			}
			return err
		}
		if n > 0 {
			return nil
		}
	}
	p.rerr = io.ErrNoProgress
	return p.rerr
}

// AppendSSE appends ev in text/event-stream form, ending with a blank line:
// "id: " (when ID is set), "event: " (when Event is set) and one "data: "
// line per line of Data (split at "\r\n", "\n" and "\r"; an empty Data is
// one empty data line, so the event is still dispatched). Line breaks in ID
// and Event, which would corrupt the stream, are removed.
func AppendSSE(dst []byte, ev SSEEvent) []byte {
	if ev.ID != "" {
		dst = append(append(dst, "id: "...), stripBreaks(ev.ID)...)
		dst = append(dst, '\n')
	}
	if ev.Event != "" {
		dst = append(append(dst, "event: "...), stripBreaks(ev.Event)...)
		dst = append(dst, '\n')
	}
	data := ev.Data
	for {
		i := strings.IndexAny(data, "\r\n")
		if i < 0 {
			dst = append(append(append(dst, "data: "...), data...), '\n')
			break
		}
		dst = append(append(append(dst, "data: "...), data[:i]...), '\n')
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	return append(dst, '\n')
}

func stripBreaks(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r", "", "\n", "").Replace(s)
}
