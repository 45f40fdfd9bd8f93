package codec

import (
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/streamctl/streamctl/value"
)

func TestTextDecode(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     []rec
	}{
		{"empty", "", nil},
		{"lines", "a\nb\n", []rec{{v: "a", raw: "a", pos: 1}, {v: "b", raw: "b", pos: 2}}},
		{"crlf keeps the cr", "a\r\nb\r\r\n", []rec{{v: "a\r", raw: "a\r", pos: 1}, {v: "b\r\r", raw: "b\r\r", pos: 2}}},
		{"no final newline", "a\nb", []rec{{v: "a", raw: "a", pos: 1}, {v: "b", raw: "b", pos: 2}}},
		{"empty lines", "\n\nx\n", []rec{{v: "", raw: "", pos: 1}, {v: "", raw: "", pos: 2}, {v: "x", raw: "x", pos: 3}}},
		{"lone cr", "\r", []rec{{v: "\r", raw: "\r", pos: 1}}},
		{"utf8 and nul", "é\x00\xff\n", []rec{{v: "é\x00\xff", raw: "é\x00\xff", pos: 1}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeAll(t, mustLookup(t, "text"), tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestTextLongLines(t *testing.T) {
	for _, tt := range []struct {
		name string
		n    int    // length of the long line
		eol  string // its ending
		bad  bool
	}{
		{"at limit", MaxLineSize, "\n", false},
		{"at limit crlf", MaxLineSize, "\r\n", false},
		{"at limit eof", MaxLineSize, "", false},
		{"over limit", MaxLineSize + 1, "\n", true},
		{"far over limit", MaxLineSize + 3*readBufSize + 7, "\r\n", true},
		{"over limit eof", MaxLineSize + 1, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := "a\n" + strings.Repeat("x", tt.n) + tt.eol
			if tt.eol != "" {
				in += "b\n"
			}
			d := mustLookup(t, "text").NewDecoder(iotest.HalfReader(strings.NewReader(in)))
			v, _, pos, err := d.Decode()
			if v != "a" || pos != 1 || err != nil {
				t.Fatalf("first line: %v %d %v", v, pos, err)
			}
			v, raw, pos, err := d.Decode()
			if pos != 2 {
				t.Fatalf("pos = %d, want 2", pos)
			}
			if tt.bad {
				var de *DecodeError
				if !errors.As(err, &de) || !de.Resync || err.Error() != "line longer than 16 MiB" || de.Pos != 2 {
					t.Fatalf("err = %#v", err)
				}
				if len(raw) != MaxLineSize {
					t.Fatalf("raw has %d bytes", len(raw))
				}
			} else if err != nil || len(strings.TrimSuffix(v.(string), "\r")) != tt.n {
				t.Fatalf("err = %v", err)
			}
			v, _, pos, err = d.Decode()
			if tt.eol == "" {
				if err != io.EOF {
					t.Fatalf("after the last line: %v", err)
				}
				return
			}
			if v != "b" || pos != 3 || err != nil {
				t.Fatalf("line after: %v %d %v", v, pos, err)
			}
		})
	}
}

func TestAppendText(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   any
		want string
		err  string
	}{
		{"string", "a b", "a b", ""},
		{"bytes", []byte("\x00z"), "\x00z", ""},
		{"nil", nil, "null", ""},
		{"true", true, "true", ""},
		{"int64", int64(-42), "-42", ""},
		{"int", 7, "7", ""},
		{"uint64", uint64(math.MaxUint64), "18446744073709551615", ""},
		{"integral float", 3.0, "3", ""},
		{"negative zero", math.Copysign(0, -1), "0", ""},
		{"fraction", 0.1, "0.1", ""},
		{"third", 1.0 / 3, "0.3333333333333333", ""},
		{"big float", 1e21, "1e+21", ""},
		{"2^63", math.Pow(2, 63), "9.223372036854776e+18", ""},
		{"large integral", 1e15, "1000000000000000", ""},
		{"small", 1e-7, "1e-07", ""},
		{"nan", math.NaN(), "NaN", ""},
		{"inf", math.Inf(-1), "-Inf", ""},
		{"float32", float32(0.1), "0.1", ""},
		{"object", value.Object{{Key: "b", Value: 1.5}, {Key: "a", Value: nil}}, `{"b":1.5,"a":null}`, ""},
		{"array", []any{int64(1), "x"}, `[1,"x"]`, ""},
		{"map", map[string]any{"z": 1, "a": []any{}}, `{"a":[],"z":1}`, ""},
		{"nan in table", []any{math.NaN()}, "", "cannot encode NaN as JSON"},
		{"unsupported", struct{}{}, "", "cannot encode struct {} as text"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendText([]byte(">"), tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil || string(got) != ">"+tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestTextEncode(t *testing.T) {
	c := mustLookup(t, "text")
	got, err := encodeAll(t, c, "a", []byte("b"), int64(3), 2.5, value.Object{{Key: "k", Value: "v"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "a\nb\n3\n2.5\n{\"k\":\"v\"}\nnull\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	e := c.NewEncoder(new(strings.Builder))
	if err := e.Encode(make(chan int)); err == nil || err.Error() != "text: cannot encode chan int as text" {
		t.Fatalf("err = %v", err)
	}
	msg, err := c.Marshal([]byte("k="), 1.5)
	if err != nil || string(msg) != "k=1.5" {
		t.Fatalf("Marshal: %q %v", msg, err)
	}
	v, err := c.Unmarshal([]byte("x\n"))
	if err != nil || v != "x\n" {
		t.Fatalf("Unmarshal: %q %v", v, err)
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestTextEncodeWriteError(t *testing.T) {
	e := mustLookup(t, "text").NewEncoder(failWriter{})
	if err := e.Encode("x"); err != nil {
		t.Fatalf("Encode buffers, got %v", err)
	}
	for range 2 {
		if err := e.Flush(); err == nil || err.Error() != "write: disk full" {
			t.Fatalf("Flush: %v", err)
		}
	}
	if err := e.Encode("y"); err == nil {
		t.Fatal("Encode after a failed write: no error")
	}
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"", "a\nb", "a\r\n\r\n", "\n\n", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c := mustLookup(t, "text")
		recs := decodeAll(t, c, in)
		var lines []any
		for i, r := range recs {
			if r.err != "" || r.pos != int64(i+1) {
				t.Fatalf("record %d: %+v", i, r)
			}
			s := r.v.(string)
			if strings.ContainsRune(s, '\n') || r.raw != s {
				t.Fatalf("record %d: %q raw %q", i, s, r.raw)
			}
			if !strings.HasSuffix(s, "\r") {
				lines = append(lines, s)
			}
		}
		out, err := encodeAll(t, c, lines...)
		if err != nil {
			t.Fatal(err)
		}
		again := decodeAll(t, c, out)
		if len(again) != len(lines) {
			t.Fatalf("round trip: %d lines, want %d", len(again), len(lines))
		}
		for i := range again {
			if again[i].v != lines[i] {
				t.Fatalf("round trip line %d: %q, want %q", i, again[i].v, lines[i])
			}
		}
	})
}
