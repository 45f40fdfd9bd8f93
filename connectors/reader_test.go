package connectors

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/streamctl/streamctl/connectors/codec"
)

func TestReaderSource(t *testing.T) {
	for _, tt := range []struct {
		name    string
		codec   codec.Codec
		in      string
		want    []string
		wantPos []int64
	}{
		{"empty", textCodec(t), "", nil, nil},
		{"lines", textCodec(t), "a\nb\nc\n", []string{"a", "b", "c"}, []int64{1, 2, 3}},
		{"partial last line", textCodec(t), "a\nb", []string{"a", "b"}, []int64{1, 2}},
		{"bad line resyncs", jsonCodec(t), "1\n{x\n\"c\"\n", []string{"1", "ERR", "c"}, []int64{1, 2, 3}},
		{"bad line stops", lineCodec{}, "a\n!!x\nc\n", []string{"a", "ERR"}, []int64{1, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := start(t, NewStdin(strings.NewReader(tt.in), tt.codec))
			if err := c.wait(t); err != nil {
				t.Fatalf("Run: %v", err)
			}
			recs := c.records()
			if got := strs(recs); !slices.Equal(got, tt.want) {
				t.Errorf("values = %q, want %q", got, tt.want)
			}
			if got := positions(recs); !slices.Equal(got, tt.wantPos) {
				t.Errorf("positions = %v, want %v", got, tt.wantPos)
			}
			for _, r := range recs {
				if r.Source != "stdin" {
					t.Errorf("Source = %q, want stdin", r.Source)
				}
				if r.Err == nil && r.Raw != nil {
					t.Errorf("good record %d has Raw %q", r.Pos, r.Raw)
				}
			}
		})
	}
}

func TestReaderSourceBadInputRecord(t *testing.T) {
	c := start(t, NewStdin(strings.NewReader("\"a\"\n{oops\n\"c\"\n"), jsonCodec(t)))
	if err := c.wait(t); err != nil {
		t.Fatal(err)
	}
	bad := c.records()[1]
	var bie *BadInputError
	if !errors.As(bad.Err, &bie) {
		t.Fatalf("Err = %T %v, want *BadInputError", bad.Err, bad.Err)
	}
	if got, want := bad.Err.Error(), "stdin:2: invalid JSON: "; !strings.HasPrefix(got, want) {
		t.Errorf("Err = %q, want prefix %q", got, want)
	}
	if bie.ExitCode() != 3 {
		t.Errorf("ExitCode = %d, want 3", bie.ExitCode())
	}
	var de *codec.DecodeError
	if !errors.As(bad.Err, &de) {
		t.Errorf("Err does not wrap the *codec.DecodeError")
	}
	if string(bad.Raw) != "{oops" || bad.Value != nil {
		t.Errorf("Raw, Value = %q, %v; want \"{oops\", nil", bad.Raw, bad.Value)
	}
	// Raw is a copy: the decoder reusing its buffer does not change it.
	if c.records()[2].Value != "c" || string(bad.Raw) != "{oops" {
		t.Errorf("records after the bad one: %q, Raw %q", strs(c.records()), bad.Raw)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestReaderSourceErrors(t *testing.T) {
	boom := errors.New("boom")
	t.Run("read error", func(t *testing.T) {
		src := NewStdin(io.MultiReader(strings.NewReader("a\n"), errReader{boom}), textCodec(t))
		c := start(t, src)
		err := c.wait(t)
		if !errors.Is(err, boom) || err.Error() != "read stdin: boom" {
			t.Errorf("err = %v, want read stdin: boom", err)
		}
		if got := strs(c.records()); !slices.Equal(got, []string{"a"}) {
			t.Errorf("values = %q", got)
		}
	})
	t.Run("emit error", func(t *testing.T) {
		n := 0
		err := NewStdin(strings.NewReader("a\nb\n"), textCodec(t)).Run(context.Background(),
			func(context.Context, Record) error { n++; return boom })
		if err != boom || n != 1 {
			t.Errorf("err, emits = %v, %d; want boom, 1", err, n)
		}
	})
	t.Run("cancel between records", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n := 0
		err := NewStdin(strings.NewReader("a\nb\nc\n"), textCodec(t)).Run(ctx,
			func(context.Context, Record) error { n++; cancel(); return nil })
		if !errors.Is(err, context.Canceled) || n != 1 {
			t.Errorf("err, emits = %v, %d; want context.Canceled, 1", err, n)
		}
	})
	t.Run("no codec", func(t *testing.T) {
		src := &ReaderSource{Name: "in", R: strings.NewReader("")}
		if err := src.Run(context.Background(), nil); err == nil || err.Error() != "read in: no codec" {
			t.Errorf("err = %v", err)
		}
	})
}

func TestNameOf(t *testing.T) {
	ts, _ := NewTimerSource(TimerConfig{Every: 1})
	for _, tt := range []struct {
		v    any
		want string
	}{
		{NewStdin(nil, nil), "stdin"},
		{NewStdout(nil, nil), "stdout"},
		{Locked(NewStderr(nil, nil)), "stderr"},
		{ts, "timer"},
		{42, ""},
	} {
		if got := NameOf(tt.v); got != tt.want {
			t.Errorf("NameOf(%T) = %q, want %q", tt.v, got, tt.want)
		}
	}
}
