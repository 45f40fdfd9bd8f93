package codec

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/streamctl/streamctl/value"
)

// maxEncodeDepth bounds the nesting of values the encoders write, so that a
// cyclic []any fails instead of exhausting the stack.
const maxEncodeDepth = 1000

// jsonCodec is "json": NDJSON, one document per line.
type jsonCodec struct{}

// Name returns "json".
func (jsonCodec) Name() string { return "json" }

// NewDecoder returns a decoder of NDJSON. Blank lines are skipped but
// counted: pos is the 1-based line number. A line that is not one JSON
// document gives a *DecodeError `invalid JSON: <detail>` with Resync set.
func (jsonCodec) NewDecoder(r io.Reader) Decoder {
	d := &jsonDecoder{lr: newLineReader(r)}
	d.conv.init()
	return d
}

// NewEncoder returns an encoder writing each record as compact JSON
// (AppendJSON) followed by "\n".
func (jsonCodec) NewEncoder(w io.Writer) Encoder {
	return &jsonEncoder{bw: bufWriter{w: w}}
}

// jsonParsers serves Unmarshal, which must be safe for concurrent use.
var jsonParsers fastjson.ParserPool

// Unmarshal decodes one JSON document; whitespace around it is allowed.
func (jsonCodec) Unmarshal(data []byte) (any, error) {
	p := jsonParsers.Get()
	defer jsonParsers.Put(p)
	var c jsonConv
	c.init()
	return c.parse(p, data)
}

// Marshal appends v as compact JSON (AppendJSON) without a newline.
func (jsonCodec) Marshal(dst []byte, v any) ([]byte, error) { return AppendJSON(dst, v) }

type jsonDecoder struct {
	lr   *lineReader
	p    fastjson.Parser
	conv jsonConv
}

// Offset implements Offsetter.
func (d *jsonDecoder) Offset() int64 { return d.lr.off }

func (d *jsonDecoder) Decode() (any, []byte, int64, error) {
	for {
		line, tooLong, err := d.lr.next()
		if err != nil {
			return nil, nil, 0, err
		}
		pos := d.lr.line
		if tooLong {
			return nil, line, pos, &DecodeError{Pos: pos, Err: ErrLineTooLong, Resync: true}
		}
		if isBlank(line) {
			continue
		}
		v, err := d.conv.parse(&d.p, line)
		if err != nil {
			return nil, line, pos, &DecodeError{Pos: pos, Err: err, Resync: true}
		}
		return v, line, pos, nil
	}
}

// jsonConv turns fastjson values into the data model. It keeps scratch space
// between records so decoding allocates little more than the result.
type jsonConv struct {
	stack []value.Object // objects being filled, innermost last
	visit func([]byte, *fastjson.Value)
	keys  map[string]string // interned object keys
	num   []byte            // scratch for number text
	err   error             // first conversion error of the document
}

const (
	maxInternKeys   = 4096
	maxInternKeyLen = 64
)

func (c *jsonConv) init() {
	c.keys = make(map[string]string)
	c.visit = func(k []byte, v *fastjson.Value) {
		val := c.value(v) // may grow c.stack: index it only afterwards
		top := &c.stack[len(c.stack)-1]
		*top = append(*top, value.Member{Key: c.key(k), Value: val})
	}
}

// parse parses (strictly: ParseJSON) and converts one document.
func (c *jsonConv) parse(p *fastjson.Parser, data []byte) (any, error) {
	v, err := ParseJSON(p, data)
	if err != nil {
		return nil, err
	}
	c.err = nil
	out := c.value(v)
	if c.err != nil {
		err := c.err
		c.err = nil
		c.stack = c.stack[:0]
		return nil, err
	}
	return out, nil
}

func (c *jsonConv) value(v *fastjson.Value) any {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		c.stack = append(c.stack, make(value.Object, 0, o.Len()))
		o.Visit(c.visit)
		n := len(c.stack) - 1
		obj := c.stack[n]
		c.stack[n] = nil
		c.stack = c.stack[:n]
		return dedupe(obj)
	case fastjson.TypeArray:
		a, _ := v.Array()
		out := make([]any, len(a))
		for i, e := range a {
			out[i] = c.value(e)
		}
		return out
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return string(b)
	case fastjson.TypeNumber:
		c.num = v.MarshalTo(c.num[:0])
		return c.number(c.num)
	case fastjson.TypeTrue:
		return true
	case fastjson.TypeFalse:
		return false
	}
	return nil
}

func (c *jsonConv) key(k []byte) string {
	if s, ok := c.keys[string(k)]; ok {
		return s
	}
	s := string(k)
	if len(k) <= maxInternKeyLen && len(c.keys) < maxInternKeys {
		c.keys[s] = s
	}
	return s
}

// number converts validated JSON number text: integers that fit become int64,
// longer integers a Number (their text), everything else float64.
func (c *jsonConv) number(b []byte) any {
	if n, ok := value.ParseInt(b); ok {
		return n
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(f, 0) {
		if c.err == nil {
			c.err = fmt.Errorf("invalid JSON: number %s out of range", truncate(string(b), 40))
		}
		return nil
	}
	if value.IsIntLiteral(b) {
		return value.Number(b)
	}
	return f
}

// dedupe removes repeated keys from o, keeping the first position and the last
// value, as decoding into a map would.
func dedupe(o value.Object) value.Object {
	if len(o) < 2 {
		return o
	}
	if len(o) <= 16 {
		dup := false
		for i := 1; i < len(o) && !dup; i++ {
			for j := 0; j < i; j++ {
				if o[i].Key == o[j].Key {
					dup = true
					break
				}
			}
		}
		if !dup {
			return o
		}
	}
	idx := make(map[string]int, len(o))
	out := o[:0]
	for _, m := range o {
		if i, ok := idx[m.Key]; ok {
			out[i].Value = m.Value
			continue
		}
		idx[m.Key] = len(out)
		out = append(out, m)
	}
	clear(o[len(out):])
	return out
}

// jsonErrorDetail shortens a fastjson error to one line: it drops the nesting
// prefixes ("cannot parse object value: ...") and cuts quoted input to 40
// bytes.
func jsonErrorDetail(msg string) string {
	msg = strings.TrimPrefix(msg, "cannot parse JSON: ")
	for {
		trimmed := msg
		for _, p := range []string{"cannot parse object: ", "cannot parse array: ",
			"cannot parse object value: ", "cannot parse array value: "} {
			trimmed = strings.TrimPrefix(trimmed, p)
		}
		if trimmed == msg {
			break
		}
		msg = trimmed
	}
	var b strings.Builder
	for i := 0; i < len(msg); {
		if msg[i] == '"' {
			if q, err := strconv.QuotedPrefix(msg[i:]); err == nil {
				i += len(q)
				if s, err := strconv.Unquote(q); err == nil && len(s) > 40 {
					q = strconv.Quote(truncate(s, 40))
				}
				b.WriteString(q)
				continue
			}
		}
		ch := msg[i]
		if ch < 0x20 || ch == 0x7f {
			b.WriteString(`\x`)
			b.WriteByte("0123456789abcdef"[ch>>4])
			b.WriteByte("0123456789abcdef"[ch&15])
		} else {
			b.WriteByte(ch)
		}
		i++
	}
	return truncate(b.String(), 200)
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut
// with "...".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

type jsonEncoder struct {
	bw bufWriter
}

func (e *jsonEncoder) Encode(v any) error {
	if e.bw.err != nil {
		return e.bw.err
	}
	n := len(e.bw.buf)
	b, err := AppendJSON(e.bw.buf, v)
	if err != nil {
		e.bw.buf = b[:n]
		return err
	}
	e.bw.buf = append(b, '\n')
	return e.bw.maybeFlush()
}

func (e *jsonEncoder) Flush() error { return e.bw.flush() }

// AppendJSON appends v as compact JSON: Object members in order,
// map[string]any in sorted key order, []any as an array, []byte and strings
// as strings (AppendString), numbers as AppendNumber writes them, nil as
// null. NaN, infinities, unsupported types and nesting deeper than 1000 are
// errors ("cannot encode NaN as JSON"); dst is then returned with partial
// output that the caller should discard. It is safe for concurrent use.
func AppendJSON(dst []byte, v any) ([]byte, error) {
	return appendJSON(dst, v, 0)
}

func appendJSON(dst []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case string:
		return AppendString(dst, x), nil
	case []byte:
		return AppendString(dst, string(x)), nil
	case float64:
		return AppendNumber(dst, x)
	case value.Number:
		return append(dst, x...), nil
	case float32:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) || isIntegral(f) {
			return AppendNumber(dst, f)
		}
		return strconv.AppendFloat(dst, f, 'g', -1, 32), nil
	case value.Object:
		if depth >= maxEncodeDepth {
			return dst, errTooDeep
		}
		dst = append(dst, '{')
		for i, m := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendString(dst, m.Key)
			dst = append(dst, ':')
			var err error
			if dst, err = appendJSON(dst, m.Value, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case value.Table:
		if depth >= maxEncodeDepth {
			return dst, errTooDeep
		}
		dst = append(dst, '{')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendString(dst, KeyString(e.Key))
			dst = append(dst, ':')
			var err error
			if dst, err = appendJSON(dst, e.Value, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case []any:
		if depth >= maxEncodeDepth {
			return dst, errTooDeep
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendJSON(dst, e, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case map[string]any:
		if depth >= maxEncodeDepth {
			return dst, errTooDeep
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendString(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, err = appendJSON(dst, x[k], depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	}
	if b, ok := appendInteger(dst, v); ok {
		return b, nil
	}
	return dst, fmt.Errorf("cannot encode %T as JSON", v)
}

var errTooDeep = fmt.Errorf("cannot encode JSON nested deeper than %d", maxEncodeDepth)

// AppendNumber appends f as a JSON number: integral values with |f| < 2^63
// without a decimal point ("3"), others in the shortest form that reads back
// as the same float64 ("0.1", "1e+21"). NaN and infinities are an error
// ("cannot encode NaN as JSON", "cannot encode +Inf as JSON"). It is safe for
// concurrent use.
func AppendNumber(dst []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, fmt.Errorf("cannot encode %v as JSON", f)
	}
	if isIntegral(f) {
		return strconv.AppendInt(dst, int64(f), 10), nil
	}
	// Like encoding/json (ES6 number formatting): plain decimals between
	// 1e-6 and 1e21, so Unix times read as 1700000000.25, not 1.7e+09.
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		b := strconv.AppendFloat(dst, f, 'e', -1, 64)
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
		return b, nil
	}
	return strconv.AppendFloat(dst, f, 'f', -1, 64), nil
}

// AppendString appends s as a quoted JSON string. It escapes '"', '\\' and
// control characters (\n, \r, \t, \b, \f short forms, others as \u00XX)
// and leaves everything else, including '<', '>' and '&', as it is.
//
// Strings are bytes: a byte that is not part of valid UTF-8 is written as
// it is, so the output is not valid UTF-8 either, and streamctl's decoders
// read the same bytes back (other tools may replace them with U+FFFD). One
// exception keeps JSON's own form: the three bytes that encode a surrogate
// code point (ED A0 80 for U+D800, which is what a decoded "\ud800" lone
// surrogate becomes) are written as that escape, unless they are a high
// surrogate followed by a low one, which would read back as one character
// and are written as they are. It is safe for concurrent use.
func AppendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			if x, ok := encodedSurrogate(s, i); ok {
				if y, ok := encodedSurrogate(s, i+3); ok && x < 0xdc00 && y >= 0xdc00 {
					i += 6 // a pair as bytes: keep them
					continue
				}
				dst = append(dst, s[start:i]...)
				dst = append(dst, '\\', 'u', hex[x>>12], hex[x>>8&15], hex[x>>4&15], hex[x&15])
				i += 3
				start = i
				continue
			}
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// encodedSurrogate decodes the three bytes at s[i:] that encode a
// surrogate code point (0xD800-0xDFFF) the way UTF-8 encodes others.
func encodedSurrogate(s string, i int) (rune, bool) {
	if i+3 > len(s) || s[i] != 0xed || s[i+1]&0xe0 != 0xa0 || s[i+2]&0xc0 != 0x80 {
		return 0, false
	}
	return 0xd000 | rune(s[i+1]&0x3f)<<6 | rune(s[i+2]&0x3f), true
}
