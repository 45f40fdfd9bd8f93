package codec

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/streamctl/streamctl/value"
)

// csvCodec is "csv": a header row, then one Object per row.
type csvCodec struct{}

// Name returns "csv".
func (csvCodec) Name() string { return "csv" }

// NewDecoder returns a decoder of CSV (RFC 4180, as encoding/csv reads it;
// empty lines are skipped). The first row is the header; each later row is an
// Object mapping the header's names to the row's strings, in header order.
// pos is the line the record starts on. A row with a different number of
// fields, or that encoding/csv cannot parse, gives a *DecodeError with
// Resync set (`invalid CSV: row has 3 fields, header has 4`). A bad or
// duplicate header gives a *DecodeError without Resync, then io.EOF.
func (csvCodec) NewDecoder(r io.Reader) Decoder {
	d := &csvDecoder{tap: tapReader{r: r}}
	d.cr = csv.NewReader(&d.tap)
	d.cr.FieldsPerRecord = -1
	d.cr.ReuseRecord = true
	return d
}

// NewEncoder returns an encoder of CSV rows. The keys of the first record
// (Object order, map[string]any sorted) become the header row; later Object
// and map records are written in header column order, missing keys empty.
// A later record with a key the header lacks is an error that names the key
// and writes nothing (`csv: field "b" is not in the header a,c (the first
// record's fields)`): the encoder streams, so it cannot widen a header it
// has written, and it never drops a field. Miller's CSV writer does the
// same (it fills missing keys and stops on a new one: "CSV schema
// change"), as does xsv on ragged rows. An []any record is written as a plain row;
// when the first record is one, no header is written and later Objects are
// written as their values in their own order. Strings are written as they
// are, nil as an empty field, other values as AppendText formats them.
func (csvCodec) NewEncoder(w io.Writer) Encoder {
	e := &csvEncoder{w: w}
	e.cw = csv.NewWriter(&e.out)
	return e
}

// Unmarshal decodes a message holding one CSV row into an []any of strings
// (a message has no header). An empty message gives an empty []any; more
// than one row is an error.
func (csvCodec) Unmarshal(data []byte) (any, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if err == io.EOF {
		return []any{}, nil
	}
	if err != nil {
		return nil, csvError(err)
	}
	if _, err := cr.Read(); err != io.EOF {
		return nil, errors.New("invalid CSV: message holds more than one row")
	}
	out := make([]any, len(rec))
	for i, f := range rec {
		out[i] = f
	}
	return out, nil
}

// Marshal appends v as one CSV row without the line end: the values of an
// Object (in order) or map (sorted keys), the elements of an []any, or a
// single field for other values.
func (csvCodec) Marshal(dst []byte, v any) ([]byte, error) {
	var fields []string
	var err error
	switch x := v.(type) {
	case value.Object:
		for _, m := range x {
			if fields, err = appendCSVField(fields, m.Value); err != nil {
				return dst, err
			}
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if fields, err = appendCSVField(fields, x[k]); err != nil {
				return dst, err
			}
		}
	case []any:
		for _, e := range x {
			if fields, err = appendCSVField(fields, e); err != nil {
				return dst, err
			}
		}
	default:
		if fields, err = appendCSVField(fields, v); err != nil {
			return dst, err
		}
	}
	if len(fields) == 1 && fields[0] == "" {
		return append(dst, `""`...), nil
	}
	buf := bytes.NewBuffer(dst)
	cw := csv.NewWriter(buf)
	if err := cw.Write(fields); err != nil {
		return dst, fmt.Errorf("csv: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return dst, fmt.Errorf("csv: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

type csvDecoder struct {
	tap    tapReader
	cr     *csv.Reader
	header []string
	done   bool
}

func (d *csvDecoder) Decode() (any, []byte, int64, error) {
	if d.done {
		return nil, nil, 0, io.EOF
	}
	if d.header == nil {
		rec, raw, pos, err := d.read()
		if err != nil {
			if de, ok := err.(*DecodeError); ok {
				d.done = true
				de.Resync = false
				return nil, raw, pos, de
			}
			return nil, nil, 0, err
		}
		header := slices.Clone(rec)
		header[0] = trimBOM(header[0])
		for i, h := range header {
			if slices.Contains(header[:i], h) {
				d.done = true
				return nil, raw, pos, &DecodeError{Pos: pos,
					Err: fmt.Errorf("invalid CSV: duplicate column %q in header", truncate(h, 40))}
			}
		}
		d.header = header
	}
	rec, raw, pos, err := d.read()
	if err != nil {
		return nil, raw, pos, err
	}
	if len(rec) != len(d.header) {
		return nil, raw, pos, &DecodeError{Pos: pos, Resync: true,
			Err: fmt.Errorf("invalid CSV: row has %d fields, header has %d", len(rec), len(d.header))}
	}
	obj := make(value.Object, len(rec))
	for i, f := range rec {
		obj[i] = value.Member{Key: d.header[i], Value: f}
	}
	return obj, raw, pos, nil
}

// Offset implements Offsetter.
func (d *csvDecoder) Offset() int64 { return d.cr.InputOffset() }

// read reads one row and the bytes it was read from.
func (d *csvDecoder) read() ([]string, []byte, int64, error) {
	start := d.cr.InputOffset()
	d.tap.discard(start)
	rec, err := d.cr.Read()
	raw := bytes.TrimLeft(trimEOL(d.tap.since(start, d.cr.InputOffset())), "\r\n")
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, raw, int64(pe.StartLine), &DecodeError{Pos: int64(pe.StartLine), Err: csvError(err), Resync: true}
		}
		return nil, nil, 0, err
	}
	line, _ := d.cr.FieldPos(0)
	return rec, raw, int64(line), nil
}

// csvError words an encoding/csv error as `invalid CSV: ...`.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("invalid CSV: line %d, column %d: %w", pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("invalid CSV: %w", err)
}

func trimBOM(s string) string {
	if len(s) >= 3 && s[:3] == "\xef\xbb\xbf" {
		return s[3:]
	}
	return s
}

// tapReader keeps the bytes read through it from offset base on, so that the
// raw bytes of a record can be returned.
type tapReader struct {
	r    io.Reader
	buf  []byte // bytes from offset base
	base int64
}

func (t *tapReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.buf = append(t.buf, p[:n]...)
	return n, err
}

// discard forgets the bytes before offset off.
func (t *tapReader) discard(off int64) {
	k := off - t.base
	if k <= 0 || k > int64(len(t.buf)) {
		return
	}
	if k < 64<<10 && 2*k < int64(len(t.buf)) {
		return // not worth moving the rest yet
	}
	t.buf = t.buf[:copy(t.buf, t.buf[k:])]
	t.base = off
}

// since returns the bytes between offsets from and to.
func (t *tapReader) since(from, to int64) []byte {
	i, j := from-t.base, to-t.base
	if i < 0 || j > int64(len(t.buf)) || i > j {
		return nil
	}
	return t.buf[i:j]
}

type csvEncoder struct {
	w         io.Writer
	out       bytes.Buffer // what cw wrote, not yet written to w
	err       error        // sticky write error
	cw        *csv.Writer
	started   bool
	header    []string
	inHeader  map[string]bool // the names of header
	hasHeader bool
	fields    []string
}

func (e *csvEncoder) Encode(v any) error {
	if e.err != nil {
		return e.err
	}
	if !e.started {
		e.started = true
		switch x := v.(type) {
		case value.Object:
			e.header = make([]string, len(x))
			for i, m := range x {
				e.header[i] = m.Key
			}
			e.hasHeader = true
		case map[string]any:
			e.header = sortedKeys(x)
			e.hasHeader = true
		}
		if e.hasHeader {
			e.inHeader = make(map[string]bool, len(e.header))
			for _, h := range e.header {
				e.inHeader[h] = true
			}
			if err := e.writeRow(e.header); err != nil {
				return err
			}
		}
	}
	if e.hasHeader {
		if err := e.checkKeys(v); err != nil {
			return err
		}
	}
	fields := e.fields[:0]
	var err error
	switch x := v.(type) {
	case value.Object:
		if e.hasHeader {
			for _, h := range e.header {
				val, _ := x.Get(h)
				if fields, err = appendCSVField(fields, val); err != nil {
					return err
				}
			}
		} else {
			for _, m := range x {
				if fields, err = appendCSVField(fields, m.Value); err != nil {
					return err
				}
			}
		}
	case map[string]any:
		keys := e.header
		if !e.hasHeader {
			keys = sortedKeys(x)
		}
		for _, k := range keys {
			if fields, err = appendCSVField(fields, x[k]); err != nil {
				return err
			}
		}
	case []any:
		for _, el := range x {
			if fields, err = appendCSVField(fields, el); err != nil {
				return err
			}
		}
	default:
		if fields, err = appendCSVField(fields, v); err != nil {
			return err
		}
	}
	e.fields = fields
	if err := e.writeRow(fields); err != nil {
		return err
	}
	if e.out.Len() >= flushSize {
		return e.Flush()
	}
	return nil
}

// checkKeys reports a key of the Object or map v that the header lacks.
func (e *csvEncoder) checkKeys(v any) error {
	var keys []string
	switch x := v.(type) {
	case value.Object:
		for _, m := range x {
			if !e.inHeader[m.Key] {
				keys = append(keys, m.Key)
			}
		}
	case map[string]any:
		for k := range x {
			if !e.inHeader[k] {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
	}
	if len(keys) == 0 {
		return nil
	}
	return fmt.Errorf("csv: field %q is not in the header %q (the first record's fields, written before this record)",
		keys[0], truncate(strings.Join(e.header, ","), 80))
}

// writeRow writes one row to e.out. A row of one empty field is written as
// `""`: encoding/csv would write an empty line, which readers skip.
func (e *csvEncoder) writeRow(fields []string) error {
	if e.err != nil {
		return e.err
	}
	if len(fields) == 1 && fields[0] == "" {
		e.out.WriteString("\"\"\n")
		return nil
	}
	if err := e.cw.Write(fields); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	e.cw.Flush() // into e.out, so rows stay in order
	return nil
}

func (e *csvEncoder) Flush() error {
	if e.err != nil {
		return e.err
	}
	if e.out.Len() == 0 {
		return nil
	}
	if _, err := e.out.WriteTo(e.w); err != nil {
		e.err = fmt.Errorf("write: %w", err)
		return e.err
	}
	return nil
}

// appendCSVField appends v formatted as a CSV field.
func appendCSVField(fields []string, v any) ([]string, error) {
	switch x := v.(type) {
	case string:
		return append(fields, x), nil
	case nil:
		return append(fields, ""), nil
	}
	b, err := AppendText(nil, v)
	if err != nil {
		return fields, fmt.Errorf("csv: %w", err)
	}
	return append(fields, string(b)), nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
