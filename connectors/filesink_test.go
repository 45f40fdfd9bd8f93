package connectors

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFileSink(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		append bool
		want   string
	}{
		{"append", true, "old\na\nb\n"},
		{"truncate", false, "a\nb\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.log")
			writeFile(t, path, "old\n")
			cfg := DefaultFileSinkConfig(path, textCodec(t))
			cfg.Append = tt.append
			s, err := NewFileSink(cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close(ctx) })
			if err := s.Write(ctx, Record{Value: "a"}); err != nil {
				t.Fatal(err)
			}
			if err := s.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if err := s.Write(ctx, Record{Value: "b"}); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, path); got != tt.want {
				t.Errorf("file = %q, want %q", got, tt.want)
			}
			if err := s.Close(ctx); err != nil {
				t.Errorf("second Close = %v", err)
			}
			if err := s.Write(ctx, Record{Value: "c"}); !errors.Is(err, ErrClosed) {
				t.Errorf("Write after Close = %v, want ErrClosed", err)
			}
		})
	}
}

func TestFileSinkBuffers(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "new.log")
	s, err := NewFileSink(DefaultFileSinkConfig(path, textCodec(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(ctx) })
	if s.Name() != "file:"+path {
		t.Errorf("Name = %q", s.Name())
	}
	if err := s.Write(ctx, Record{Value: "a"}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "" {
		t.Errorf("before Flush: %q", got)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "a\n" {
		t.Errorf("after Flush: %q", got)
	}
}

func TestFileSinkErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "x.log")
	s, err := NewFileSink(DefaultFileSinkConfig(path, textCodec(t)))
	want := "file " + path + ": open " + path + ": no such file or directory"
	if err == nil || err.Error() != want || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("NewFileSink = %v, want %q", err, want)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Errorf("Close after failed open = %v", err)
	}
	for _, tt := range []struct {
		cfg  FileSinkConfig
		want string
	}{
		{FileSinkConfig{Codec: lineCodec{}}, "file: path must be set"},
		{FileSinkConfig{Path: "x"}, "file: codec must be set"},
	} {
		if _, err := NewFileSink(tt.cfg); err == nil || err.Error() != tt.want {
			t.Errorf("NewFileSink(%+v) = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}
