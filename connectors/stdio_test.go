package connectors

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// flushWriter is a writer with a Flush method, like a *bufio.Writer.
type flushWriter struct {
	bytes.Buffer
	flushes int
}

func (w *flushWriter) Flush() error { w.flushes++; return nil }

func TestWriterSink(t *testing.T) {
	ctx := context.Background()
	var w flushWriter
	s := NewStdout(&w, textCodec(t))
	for _, v := range []any{"a", int64(2)} {
		if err := s.Write(ctx, Record{Value: v}); err != nil {
			t.Fatal(err)
		}
	}
	if w.Len() != 0 {
		t.Errorf("written before Flush: %q", w.String())
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := w.String(); got != "a\n2\n" || w.flushes != 1 {
		t.Errorf("after Flush: %q, %d flushes; want \"a\\n2\\n\", 1", got, w.flushes)
	}
	if err := s.Write(ctx, Record{Value: "c"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := w.String(); got != "a\n2\nc\n" {
		t.Errorf("after Close: %q", got)
	}
	if err := s.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Write(ctx, Record{Value: "d"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
}

func TestWriterSinkErrors(t *testing.T) {
	ctx := context.Background()
	s := &WriterSink{Name: "stderr", W: &bytes.Buffer{}, Codec: textCodec(t)}
	if err := s.Write(ctx, Record{Value: make(chan int)}); err == nil || !strings.HasPrefix(err.Error(), "write stderr: ") {
		t.Errorf("Write = %v", err)
	}
	s = &WriterSink{Name: "out", W: &bytes.Buffer{}}
	if err := s.Write(ctx, Record{Value: "x"}); err == nil || err.Error() != "write out: no codec" {
		t.Errorf("Write without codec = %v", err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Errorf("Flush of an unused sink = %v", err)
	}
}
