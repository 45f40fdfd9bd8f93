package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"

	"github.com/valyala/fastjson"
)

// Strict JSON
//
// Every JSON input of streamctl (the json codec, `pipe -i json`, json.decode)
// is checked by JSONScanner, one pass over the bytes that accepts RFC 8259
// JSON and nothing else: the number grammar (no "+1", "01", ".5", "2.",
// "1eE2", NaN or Infinity), string escapes (only \" \\ \/ \b \f \n \r \t and
// \u with four hex digits), no raw control characters in strings, the
// structure (no trailing commas, single quotes, comments or trailing
// data). It accepts exactly what encoding/json.Valid accepts, except two
// limits RFC 8259 section 9 allows: a value nested deeper than 300 levels
// (JSONMaxDepth, valyala/fastjson's limit) and a number beyond float64's
// range (1e400) are rejected. Bytes that are not UTF-8 inside strings are
// accepted and kept as they are, as encoding/json.Valid accepts them.
//
// valyala/fastjson's parser is fast but lenient (it takes NaN, 01, "\x",
// raw control characters), so it only ever sees documents the scanner has
// accepted: ParseJSON runs both. The scanner also records where the
// top-level members of an object are, so `pipe -i json 'status >= 500'`
// converts the one field it reads without building the whole document.

// JSONMaxDepth is how deep values may nest: a scalar inside 299 arrays
// (depth 300) is accepted, inside 300 it is not.
const JSONMaxDepth = fastjson.MaxDepth

// maxJSONToken is how much of a bad token an error shows.
const maxJSONToken = 40

// ParseJSON parses data as exactly one RFC 8259 JSON document, with
// whitespace around it allowed, using p. The value is valid until p's next
// Parse. Errors read "invalid JSON: <detail> (column N)", one line of at
// most about 250 bytes. It is as safe for concurrent use as p (a
// fastjson.Parser is not).
func ParseJSON(p *fastjson.Parser, data []byte) (*fastjson.Value, error) {
	lone, err := scanJSON(data, nil)
	if err != nil {
		return nil, err
	}
	if lone {
		data = decodeLoneSurrogates(data)
	}
	v, err := p.ParseBytes(data)
	if err != nil { // cannot happen: the scanner is stricter
		return nil, errors.New("invalid JSON: " + jsonErrorDetail(err.Error()))
	}
	return v, nil
}

// JSONScanner checks JSON documents strictly and indexes the top-level
// members of objects. The zero value is ready to use; it keeps scratch
// space between documents and is not safe for concurrent use.
type JSONScanner struct {
	data    []byte
	object  bool
	lone    bool // the document escapes a lone surrogate
	members []jsonMember
	keyP    fastjson.Parser // decodes keys with escapes
}

// jsonMember is where a top-level member is in the document: its key
// between the quotes and its value.
type jsonMember struct {
	keyStart, keyEnd, valStart, valEnd int32
	escaped                            bool // the key holds a backslash
}

// Scan checks data as ParseJSON does (same errors) and, when it is an
// object, indexes its top-level members. Field and Object describe data
// until the next Scan; data must not change meanwhile.
func (s *JSONScanner) Scan(data []byte) error {
	s.data, s.object, s.members = data, false, s.members[:0]
	if len(data) > math.MaxInt32 {
		return errors.New("invalid JSON: document larger than 2 GiB")
	}
	var err error
	if s.lone, err = scanJSON(data, s); err != nil {
		s.data, s.object, s.members = nil, false, s.members[:0]
	}
	return err
}

// Parse parses b, the document Scan accepted or a value Field returned,
// with p, decoding lone surrogates as ParseJSON does.
func (s *JSONScanner) Parse(p *fastjson.Parser, b []byte) (*fastjson.Value, error) {
	if s.lone {
		b = decodeLoneSurrogates(b)
	}
	v, err := p.ParseBytes(b)
	if err != nil { // cannot happen: the scanner is stricter
		return nil, errors.New("invalid JSON: " + jsonErrorDetail(err.Error()))
	}
	return v, nil
}

// Object reports whether the document is an object.
func (s *JSONScanner) Object() bool { return s.object }

// Members returns how many top-level members Scan indexed: those of the
// object, in document order (repeated names included), 0 for a document
// that is not an object.
func (s *JSONScanner) Members() int { return len(s.members) }

// Member returns the i-th top-level member (0 <= i < Members()): its key as
// it is between the quotes, its value's bytes, and whether the key holds an
// escape (then key is not the decoded name).
func (s *JSONScanner) Member(i int) (key, value []byte, escaped bool) {
	m := &s.members[i]
	return s.data[m.keyStart:m.keyEnd], s.data[m.valStart:m.valEnd], m.escaped
}

// Field returns the bytes of the value of the top-level member named key
// (the last one when the name repeats, as decoding into a map would) and
// whether there is one.
func (s *JSONScanner) Field(key string) ([]byte, bool) {
	for i := len(s.members) - 1; i >= 0; i-- {
		m := &s.members[i]
		k := s.data[m.keyStart:m.keyEnd]
		if m.escaped {
			v, err := s.Parse(&s.keyP, s.data[m.keyStart-1:m.keyEnd+1])
			if err != nil {
				continue
			}
			k, _ = v.StringBytes()
		}
		if string(k) == key {
			return s.data[m.valStart:m.valEnd], true
		}
	}
	return nil, false
}

// scanJSON checks data strictly and, with s, records the top-level members
// of an object into s. lone reports an escaped lone surrogate. It is a
// state machine over three places: a value is expected (value), an object
// key is expected (key), a value just ended (after). open holds one bit per
// open container, set for objects.
func scanJSON(data []byte, s *JSONScanner) (lone bool, err error) {
	var (
		open  [JSONMaxDepth/64 + 1]uint64
		depth int // open containers
		i     = skipJSONSpace(data, 0)
		c     byte
	)
	if i == len(data) {
		return false, errors.New("invalid JSON: empty document")
	}
value:
	if i >= len(data) {
		return false, jsonUnexpected(data, i, "a value")
	}
	if depth >= JSONMaxDepth {
		return false, fmt.Errorf("invalid JSON: nested deeper than %d levels (%s)", JSONMaxDepth, jsonWhere(data, i))
	}
	switch c = data[i]; jsonClass[c] {
	case jsonQuote:
		if i, err = checkJSONString(data, i+1, &lone); err != nil {
			return false, err
		}
	case jsonNumber:
		if i, err = checkJSONNumber(data, i); err != nil {
			return false, err
		}
	case jsonLetter:
		if i, err = checkJSONLiteral(data, i); err != nil {
			return false, err
		}
	case jsonOpen:
		if c == '{' {
			open[depth>>6] |= 1 << (depth & 63)
			if depth == 0 && s != nil {
				s.object = true
			}
		} else {
			open[depth>>6] &^= 1 << (depth & 63)
		}
		depth++
		i = skipJSONSpace(data, i+1)
		if i < len(data) && data[i] == c+2 { // '{'+2 is '}', '['+2 is ']'
			i++
			depth--
			goto after
		}
		if c == '{' {
			goto key
		}
		goto value
	default:
		if isNumberByte(c) {
			return false, badJSONNumber(data, i) // "+1", ".5"
		}
		return false, jsonUnexpected(data, i, "a value")
	}
after:
	if depth == 1 && s != nil && s.object {
		s.members[len(s.members)-1].valEnd = int32(i)
	}
	i = skipJSONSpace(data, i)
	if depth == 0 {
		if i < len(data) {
			return false, jsonUnexpected(data, i, "the end of the document")
		}
		return lone, nil
	}
	if isObject := open[(depth-1)>>6]&(1<<((depth-1)&63)) != 0; isObject {
		if i >= len(data) {
			return false, jsonUnexpected(data, i, "',' or '}' after an object member")
		}
		switch data[i] {
		case ',':
			i = skipJSONSpace(data, i+1)
			goto key
		case '}':
			i++
			depth--
			goto after
		}
		return false, jsonUnexpected(data, i, "',' or '}' after an object member")
	}
	if i >= len(data) {
		return false, jsonUnexpected(data, i, "',' or ']' after an array element")
	}
	switch data[i] {
	case ',':
		i = skipJSONSpace(data, i+1)
		goto value
	case ']':
		i++
		depth--
		goto after
	}
	return false, jsonUnexpected(data, i, "',' or ']' after an array element")
key:
	if i >= len(data) || data[i] != '"' {
		return false, jsonUnexpected(data, i, "a string key")
	}
	{
		start := i + 1
		escaped := false
		if i = stringSpecial(data, start); i < len(data) && data[i] == '"' {
			i++ // the usual key, without escapes
		} else if i, err = checkJSONString(data, start, &lone); err != nil {
			return false, err
		} else {
			escaped = true
		}
		if depth == 1 && s != nil {
			s.members = append(s.members, jsonMember{keyStart: int32(start), keyEnd: int32(i - 1), escaped: escaped})
		}
	}
	i = skipJSONSpace(data, i)
	if i >= len(data) || data[i] != ':' {
		return false, jsonUnexpected(data, i, "':' after an object key")
	}
	i = skipJSONSpace(data, i+1)
	if depth == 1 && s != nil {
		s.members[len(s.members)-1].valStart = int32(i)
	}
	goto value
}

// skipJSONSpace returns the index of the first byte at or after i that is
// not JSON whitespace (space, tab, CR, LF).
func skipJSONSpace(data []byte, i int) int {
	for i < len(data) && jsonClass[data[i]] == jsonSpace {
		i++
	}
	return i
}

// Byte classes between tokens.
const (
	jsonBad    = iota // cannot start a value
	jsonSpace         // JSON whitespace
	jsonOther         // , : ] }
	jsonQuote         // a string starts
	jsonNumber        // a number starts: '-' or a digit
	jsonLetter        // true, false, null start
	jsonOpen          // [ {
	jsonNumRun        // + . e E: fastjson would read them as part of a number
)

var jsonClass = func() (t [256]uint8) {
	for _, c := range []byte(" \t\r\n") {
		t[c] = jsonSpace
	}
	for _, c := range []byte(",:]}") {
		t[c] = jsonOther
	}
	t['"'] = jsonQuote
	t['-'] = jsonNumber
	for c := '0'; c <= '9'; c++ {
		t[c] = jsonNumber
	}
	t['t'], t['f'], t['n'] = jsonLetter, jsonLetter, jsonLetter
	t['['], t['{'] = jsonOpen, jsonOpen
	t['+'], t['.'], t['e'], t['E'] = jsonNumRun, jsonNumRun, jsonNumRun, jsonNumRun
	return t
}()

// checkJSONLiteral checks the true, false or null starting at data[i] and
// returns the index after it.
func checkJSONLiteral(data []byte, i int) (int, error) {
	end := i + 4
	if data[i] == 'f' {
		end++
	}
	if end <= len(data) {
		switch string(data[i:end]) {
		case "true", "null", "false":
			if end == len(data) || !isWordByte(data[end]) {
				return end, nil
			}
		}
	}
	return i, jsonUnexpected(data, i, "a value")
}

// SWAR constants: a byte of 0x01, 0x80 in every lane.
const (
	lanes1 = 0x0101010101010101
	lanes8 = 0x8080808080808080
)

// laneZero is nonzero when a byte of w is zero; its lowest set bit is in
// the lowest such byte (higher bits may be false positives).
func laneZero(w uint64) uint64 { return (w - lanes1) & ^w & lanes8 }

// laneBelow is nonzero when a byte of w is below n (n <= 0x80), with
// laneZero's precision.
func laneBelow(w uint64, n byte) uint64 { return (w - lanes1*uint64(n)) & ^w & lanes8 }

// checkJSONString checks the string whose contents start at data[i] and
// returns the index after its closing quote. It sets *lone when the string
// escapes a lone surrogate.
func checkJSONString(data []byte, i int, lone *bool) (int, error) {
	for {
		i = stringSpecial(data, i)
		if i >= len(data) {
			return i, fmt.Errorf(`invalid JSON: a string is not closed (%s)`, jsonWhere(data, i))
		}
		switch c := data[i]; c {
		case '"':
			return i + 1, nil
		case '\\':
			n, err := checkJSONEscape(data, i, lone)
			if err != nil {
				return i, err
			}
			i += n
		default:
			return i, fmt.Errorf("invalid JSON: string cannot contain control char 0x%02X (%s)", c, jsonWhere(data, i))
		}
	}
}

// stringSpecial returns the index of the first '"', '\\' or control
// character at or after data[i], or len(data). It reads eight bytes at a
// time.
func stringSpecial(data []byte, i int) int {
	for ; i+8 <= len(data); i += 8 {
		w := binary.LittleEndian.Uint64(data[i:])
		if m := laneZero(w^(lanes1*'"')) | laneZero(w^(lanes1*'\\')) | laneBelow(w, 0x20); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(data); i++ {
		if c := data[i]; c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return i
}

// checkJSONEscape checks the escape starting at data[i] ('\\') and returns
// its length: a surrogate pair is one escape of 12 bytes. It sets *lone
// for a surrogate that is not part of a pair.
func checkJSONEscape(data []byte, i int, lone *bool) (int, error) {
	if i+1 < len(data) {
		switch data[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			return 2, nil
		case 'u':
			if x, ok := hex4(data, i+2); ok {
				if x>>11 == 0x1b { // a surrogate, 0xD800-0xDFFF
					if y, ok := hex4(data, i+8); ok && x < 0xdc00 && y>>10 == 0x37 && data[i+6] == '\\' && data[i+7] == 'u' {
						return 12, nil // a high and a low surrogate: a pair
					}
					*lone = true
				}
				return 6, nil
			}
			return 0, fmt.Errorf(`invalid JSON: invalid escape in a string: %s (\u takes four hex digits) (%s)`,
				printablePrefix(data[i:min(i+6, len(data))]), jsonWhere(data, i))
		}
	}
	return 0, fmt.Errorf(`invalid JSON: invalid escape in a string: %s (valid: \" \\ \/ \b \f \n \r \t \uXXXX) (%s)`,
		printablePrefix(data[i:min(i+2, len(data))]), jsonWhere(data, i))
}

// printablePrefix shows the escape b: b up to its first byte that is not
// printable ASCII or is a quote, or what follows a lone backslash.
func printablePrefix(b []byte) string {
	n := 0
	for n < len(b) && b[n] > ' ' && b[n] < 0x7f && (n == 0 || b[n] != '"') {
		n++
	}
	if n == 1 {
		if len(b) == 1 {
			return `\ at the end of the document`
		}
		return fmt.Sprintf(`\ followed by byte 0x%02X`, b[1])
	}
	return string(b[:n])
}

// hex4 decodes the four hex digits at data[i:].
func hex4(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	var x rune
	for _, c := range data[i : i+4] {
		switch {
		case c-'0' < 10:
			x = x<<4 | rune(c-'0')
		case (c|0x20)-'a' < 6:
			x = x<<4 | rune((c|0x20)-'a'+10)
		default:
			return 0, false
		}
	}
	return x, true
}

// decodeLoneSurrogates returns a copy of the valid JSON data in which each
// escaped lone surrogate (\ud800 not followed by a low surrogate, or a
// lone \udc00) is replaced by the three bytes that encode its code point
// the way UTF-8 encodes other code points (WTF-8: ED A0 80 for \ud800).
// valyala/fastjson would keep such an escape as its six characters, or
// swallow the escape after it; these bytes instead round-trip, since
// AppendString writes them back as the same escape.
func decodeLoneSurrogates(data []byte) []byte {
	out := make([]byte, 0, len(data))
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '"':
			inString = !inString
		case !inString || c != '\\':
		case data[i+1] != 'u':
			out = append(out, c, data[i+1])
			i++
			continue
		default:
			x, _ := hex4(data, i+2)
			if x>>11 != 0x1b {
				out = append(out, data[i:i+6]...)
				i += 5
				continue
			}
			if y, ok := hex4(data, i+8); ok && x < 0xdc00 && y>>10 == 0x37 && data[i+6] == '\\' && data[i+7] == 'u' {
				out = append(out, data[i:i+12]...) // a pair
				i += 11
				continue
			}
			out = append(out, 0xe0|byte(x>>12), 0x80|byte(x>>6)&0x3f, 0x80|byte(x)&0x3f)
			i += 5
			continue
		}
		out = append(out, c)
	}
	return out
}

// checkJSONNumber checks the number starting at data[i] and returns the
// index after it.
func checkJSONNumber(data []byte, i int) (int, error) {
	start := i
	if data[i] == '-' {
		i++
	}
	// Integer part: 0 or [1-9][0-9]*.
	intStart := i
	if i < len(data) && data[i] == '0' {
		i++
	} else {
		for i < len(data) && data[i]-'0' < 10 {
			i++
		}
	}
	intDigits := i - intStart
	if intDigits == 0 {
		return i, badJSONNumber(data, start)
	}
	if i < len(data) && data[i] == '.' {
		i++
		fracStart := i
		for i < len(data) && data[i]-'0' < 10 {
			i++
		}
		if i == fracStart {
			return i, badJSONNumber(data, start)
		}
	}
	expDigits := 0
	if i < len(data) && data[i]|0x20 == 'e' {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		expStart := i
		for i < len(data) && data[i]-'0' < 10 {
			i++
		}
		if expDigits = i - expStart; expDigits == 0 {
			return i, badJSONNumber(data, start)
		}
	}
	if i < len(data) && (isNumberByte(data[i]) || isWordByte(data[i])) {
		return i, badJSONNumber(data, start) // "01", "1-2", "1.5.3", "-1x"
	}
	// Below 10^(200+99) a number cannot overflow a float64.
	if expDigits >= 3 || intDigits > 200 {
		if f, err := strconv.ParseFloat(string(data[start:i]), 64); err != nil && math.IsInf(f, 0) {
			return i, fmt.Errorf("invalid JSON: number %s out of range (%s)", truncate(string(data[start:i]), maxJSONToken), jsonWhere(data, start))
		}
	}
	return i, nil
}

// isNumberByte reports whether c may be part of a number: 0-9 + - . e E.
func isNumberByte(c byte) bool {
	return jsonClass[c] == jsonNumber || jsonClass[c] == jsonNumRun
}

func isWordByte(c byte) bool { return (c|0x20)-'a' < 26 || c-'0' < 10 || c == '_' }

// badJSONNumber reports the bad number starting at data[start]: the run
// of number characters and letters there ("-Infinity", "1.5.3").
func badJSONNumber(data []byte, start int) error {
	end := start
	for end < len(data) && (isNumberByte(data[end]) || isWordByte(data[end])) {
		end++
	}
	return fmt.Errorf("invalid JSON: invalid number %q (%s)", truncate(string(data[start:end]), maxJSONToken), jsonWhere(data, start))
}

// jsonUnexpected reports what is at data[i] where want should be: the end
// of the document, a word (NaN, True) or one byte.
func jsonUnexpected(data []byte, i int, want string) error {
	if i >= len(data) {
		return fmt.Errorf("invalid JSON: expected %s, got the end of the document (%s)", want, jsonWhere(data, i))
	}
	end := i
	for end < len(data) && end-i < maxJSONToken && isWordByte(data[end]) {
		end++
	}
	if end == i {
		end = i + 1
	}
	return fmt.Errorf("invalid JSON: expected %s, got %q (%s)", want, data[i:end], jsonWhere(data, i))
}

// jsonWhere names the place of data[i]: "column 5" in a one-line
// document, "line 2, column 5" in a longer one.
func jsonWhere(data []byte, i int) string {
	line, col := 1, i+1
	if nl := bytes.LastIndexByte(data[:i], '\n'); nl >= 0 {
		line = 1 + bytes.Count(data[:i], []byte{'\n'})
		col = i - nl
	}
	if line == 1 {
		return "column " + strconv.Itoa(col)
	}
	return fmt.Sprintf("line %d, column %d", line, col)
}
