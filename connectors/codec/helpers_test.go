package codec

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// rec is one Decode result.
type rec struct {
	v   any
	raw string
	pos int64
	err string // error text, "" for none
}

// decodeAll decodes everything from in, stopping at io.EOF, a non-resync
// DecodeError followed by io.EOF, or 100000 calls.
func decodeAll(t testing.TB, c Codec, in string) []rec {
	t.Helper()
	return decodeReader(t, c, strings.NewReader(in))
}

func decodeReader(t testing.TB, c Codec, r io.Reader) []rec {
	t.Helper()
	d := c.NewDecoder(r)
	var out []rec
	for range 100000 {
		v, raw, pos, err := d.Decode()
		if err == io.EOF {
			return out
		}
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode: unexpected error %T %v", err, err)
			}
			if de.Pos != pos {
				t.Fatalf("DecodeError.Pos %d, returned pos %d", de.Pos, pos)
			}
			out = append(out, rec{raw: string(raw), pos: pos, err: err.Error()})
			if !de.Resync {
				if _, _, _, err := d.Decode(); err != io.EOF {
					t.Fatalf("after a DecodeError without Resync: %v, want io.EOF", err)
				}
				return out
			}
			continue
		}
		out = append(out, rec{v: v, raw: string(raw), pos: pos})
	}
	t.Fatalf("decoder did not stop after 100000 records")
	return nil
}

// encodeAll encodes vs with c and returns the output.
func encodeAll(t testing.TB, c Codec, vs ...any) (string, error) {
	t.Helper()
	var b strings.Builder
	e := c.NewEncoder(&b)
	for _, v := range vs {
		if err := e.Encode(v); err != nil {
			return b.String(), err
		}
	}
	err := e.Flush()
	return b.String(), err
}

func mustLookup(t testing.TB, name string) Codec {
	t.Helper()
	c, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
