package codec

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/streamctl/streamctl/value"
)

func TestBytesDecode(t *testing.T) {
	big := strings.Repeat("z", bytesChunkSize+10)
	for _, tt := range []struct {
		name string
		r    io.Reader
		want []rec
	}{
		{"empty", strings.NewReader(""), nil},
		{"one read", strings.NewReader("ab\ncd"), []rec{{v: []byte("ab\ncd"), raw: "ab\ncd", pos: 1}}},
		{"one byte reads", iotest.OneByteReader(strings.NewReader("ab")), []rec{{v: []byte("a"), raw: "a", pos: 1}, {v: []byte("b"), raw: "b", pos: 2}}},
		{"data with EOF", iotest.DataErrReader(strings.NewReader("xy")), []rec{{v: []byte("xy"), raw: "xy", pos: 1}}},
		{"chunked at 64 KiB", strings.NewReader(big), []rec{
			{v: []byte(big[:bytesChunkSize]), raw: big[:bytesChunkSize], pos: 1},
			{v: []byte(big[bytesChunkSize:]), raw: big[bytesChunkSize:], pos: 2}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeReader(t, mustLookup(t, "bytes"), tt.r)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestBytesDecodeErrors(t *testing.T) {
	d := mustLookup(t, "bytes").NewDecoder(iotest.TimeoutReader(iotest.OneByteReader(strings.NewReader("ab"))))
	if v, _, _, err := d.Decode(); err != nil || string(v.([]byte)) != "a" {
		t.Fatalf("first: %v %v", v, err)
	}
	for range 2 {
		if _, _, _, err := d.Decode(); !errors.Is(err, iotest.ErrTimeout) {
			t.Fatalf("err = %v, want timeout", err)
		}
	}
	d = mustLookup(t, "bytes").NewDecoder(emptyReader{})
	if _, _, _, err := d.Decode(); err != io.ErrNoProgress {
		t.Fatalf("err = %v, want io.ErrNoProgress", err)
	}
}

// emptyReader returns 0, nil forever.
type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

func TestBytesValueIsACopy(t *testing.T) {
	d := mustLookup(t, "bytes").NewDecoder(iotest.OneByteReader(strings.NewReader("ab")))
	v1, _, _, _ := d.Decode()
	v2, _, _, _ := d.Decode()
	if string(v1.([]byte)) != "a" || string(v2.([]byte)) != "b" {
		t.Fatalf("values share memory: %q %q", v1, v2)
	}
	c := mustLookup(t, "bytes")
	in := []byte("xyz")
	v, err := c.Unmarshal(in)
	in[0] = 'Q'
	if err != nil || string(v.([]byte)) != "xyz" {
		t.Fatalf("Unmarshal: %q %v", v, err)
	}
}

func TestBytesEncode(t *testing.T) {
	big := bytes.Repeat([]byte("q"), flushSize+1)
	for _, tt := range []struct {
		name string
		in   []any
		want string
		err  string
	}{
		{"raw", []any{[]byte("a\n"), "b", []byte{}}, "a\nb", ""},
		{"others as text", []any{int64(1), 2.5, nil, value.Object{{Key: "a", Value: true}}}, "12.5null{\"a\":true}", ""},
		{"large chunk", []any{"x", big, "y"}, "x" + string(big) + "y", ""},
		{"unsupported", []any{struct{}{}}, "", "bytes: cannot encode struct {} as text"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := encodeAll(t, mustLookup(t, "bytes"), tt.in...)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %.40q, %v", got, err)
			}
		})
	}
	msg, err := mustLookup(t, "bytes").Marshal([]byte("k"), []byte("v"))
	if err != nil || string(msg) != "kv" {
		t.Fatalf("Marshal: %q %v", msg, err)
	}
}

func FuzzBytes(f *testing.F) {
	f.Add([]byte("hello"), uint8(3))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, in []byte, mode uint8) {
		var r io.Reader = bytes.NewReader(in)
		if mode%2 == 1 {
			r = iotest.OneByteReader(r)
		}
		c := mustLookup(t, "bytes")
		var chunks []any
		var all []byte
		for i, rec := range decodeReader(t, c, r) {
			b := rec.v.([]byte)
			if rec.err != "" || rec.pos != int64(i+1) || len(b) == 0 || string(b) != rec.raw {
				t.Fatalf("chunk %d: %+v", i, rec)
			}
			chunks = append(chunks, b)
			all = append(all, b...)
		}
		if !bytes.Equal(all, in) {
			t.Fatalf("chunks join to %q, want %q", all, in)
		}
		out, err := encodeAll(t, c, chunks...)
		if err != nil || out != string(in) {
			t.Fatalf("round trip: %q, %v", out, err)
		}
	})
}
