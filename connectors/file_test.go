package connectors

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const testPoll = 10 * time.Millisecond

// newFile returns a FileSource on path with a short poll interval.
func newFile(t *testing.T, cfg FileConfig) *FileSource {
	t.Helper()
	if cfg.Codec == nil {
		cfg.Codec = textCodec(t)
	}
	s, err := NewFileSource(cfg, WithPollInterval(testPoll))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wantValues waits for len(want) records and compares their values.
func wantValues(t *testing.T, c *collector, want ...string) []Record {
	t.Helper()
	recs := c.waitN(t, len(want))
	if got := strs(recs); !slices.Equal(got, want) {
		t.Fatalf("values = %q, want %q", got, want)
	}
	return recs
}

func TestFileConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  FileConfig
		want string
	}{
		{"no path", FileConfig{Codec: lineCodec{}}, "file: path must be set"},
		{"no codec", FileConfig{Path: "x"}, "file: codec must be set"},
		{"bad from", FileConfig{Path: "x", Codec: lineCodec{}, Follow: true, From: "middle"},
			`file: from must be "start" or "end", got "middle"`},
		{"end without follow", FileConfig{Path: "x", Codec: lineCodec{}, From: "end"},
			`file: from = "end" needs follow = true (nothing would be read)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewFileSource(tt.cfg)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestFileSourceOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	writeFile(t, path, "\"a\"\n{bad\n\"c\"")
	src := newFile(t, FileConfig{Path: path, Codec: jsonCodec(t)})
	c := start(t, src)
	if err := c.wait(t); err != nil {
		t.Fatal(err)
	}
	recs := c.records()
	if got := strs(recs); !slices.Equal(got, []string{"a", "ERR", "c"}) {
		t.Errorf("values = %q", got)
	}
	if got := recs[1].Err.Error(); !strings.HasPrefix(got, "file:"+path+":2: invalid JSON: ") {
		t.Errorf("bad input error = %q", got)
	}
	if recs[0].Source != "file:"+path || src.Name() != "file:"+path {
		t.Errorf("Source = %q, Name = %q", recs[0].Source, src.Name())
	}
}

func TestFileSourceMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	err := newFile(t, FileConfig{Path: path}).Run(context.Background(), nil)
	want := "file " + path + ": open " + path + ": no such file or directory"
	if err == nil || err.Error() != want || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestFileFollowAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	writeFile(t, path, "a\nb\n")
	c := start(t, newFile(t, FileConfig{Path: path, Follow: true}))
	wantValues(t, c, "a", "b")
	appendFile(t, path, "c\n")
	appendFile(t, path, "d\n")
	recs := wantValues(t, c, "a", "b", "c", "d")
	if got := positions(recs); !slices.Equal(got, []int64{1, 2, 3, 4}) {
		t.Errorf("positions = %v", got)
	}
	if err := c.stop(t); !errors.Is(err, context.Canceled) {
		t.Errorf("Run after cancel = %v, want context.Canceled", err)
	}
}

func TestFileFollowPartialLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	// One write: once "a" is emitted the decoder has read "par" too and must
	// hold it until the line is completed.
	writeFile(t, path, "a\npar")
	c := start(t, newFile(t, FileConfig{Path: path, Follow: true}))
	wantValues(t, c, "a")
	appendFile(t, path, "tial\nb\n")
	recs := wantValues(t, c, "a", "partial", "b")
	if got := positions(recs); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("positions = %v", got)
	}
}

func TestFileFollowTruncate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	writeFile(t, path, "first\nsecond\n")
	c := start(t, newFile(t, FileConfig{Path: path, Follow: true}))
	wantValues(t, c, "first", "second")
	writeFile(t, path, "x\n") // O_TRUNC, shorter than what was read
	recs := wantValues(t, c, "first", "second", "x")
	if recs[2].Pos != 3 {
		t.Errorf("Pos after truncation = %d, want 3", recs[2].Pos)
	}
	appendFile(t, path, "y\n")
	wantValues(t, c, "first", "second", "x", "y")
}

func TestFileFollowRotate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	w, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if _, err := w.WriteString("a\n"); err != nil {
		t.Fatal(err)
	}
	c := start(t, newFile(t, FileConfig{Path: path, Follow: true}))
	wantValues(t, c, "a")

	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	// The writer still holds the old file: what it writes after the rename is
	// read before the new file.
	if _, err := w.WriteString("b\n"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, "c\nd\n")
	recs := wantValues(t, c, "a", "b", "c", "d")
	if got := positions(recs); !slices.Equal(got, []int64{1, 2, 3, 4}) {
		t.Errorf("positions = %v", got)
	}
	// A second rotation, with the path missing for a while.
	if err := os.Rename(path, path+".2"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, "e\n")
	wantValues(t, c, "a", "b", "c", "d", "e")
}

func TestFileFollowCreatedLate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	c := start(t, newFile(t, FileConfig{Path: path, Follow: true}))
	writeFile(t, path, "a\nb\n")
	wantValues(t, c, "a", "b")
	appendFile(t, path, "c\n")
	wantValues(t, c, "a", "b", "c")
}

func TestFileFollowFromEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	writeFile(t, path, "old1\nold2\n")
	c := start(t, newFile(t, FileConfig{Path: path, Follow: true, From: "end"}))
	// We cannot see when Run has opened the file, so keep appending until a
	// line arrives: the first record must be one of ours, never an old one.
	waitFor(t, func() bool {
		appendFile(t, path, "new\n")
		return len(c.records()) > 0
	}, 5*time.Second)
	recs := c.records()
	if recs[0].Value != "new" || recs[0].Pos != 1 {
		t.Errorf("first record = %v at %d, want new at 1", recs[0].Value, recs[0].Pos)
	}
}

func TestFileSourcePause(t *testing.T) {
	t.Run("paused before run reads nothing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "app.log")
		writeFile(t, path, "a\n")
		src := newFile(t, FileConfig{Path: path})
		src.Pause()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		n := 0
		err := src.Run(ctx, func(context.Context, Record) error { n++; return nil })
		if !errors.Is(err, context.DeadlineExceeded) || n != 0 {
			t.Errorf("err, emits = %v, %d; want deadline exceeded, 0", err, n)
		}
	})
	t.Run("resume continues", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "app.log")
		writeFile(t, path, "a\n")
		src := newFile(t, FileConfig{Path: path, Follow: true})
		src.Pause()
		src.Pause() // idempotent
		c := start(t, src)
		src.Resume()
		wantValues(t, c, "a")
		src.Pause()
		appendFile(t, path, "b\n")
		src.Resume()
		src.Resume() // idempotent
		wantValues(t, c, "a", "b")
	})
}

func TestGateBlocksWhilePaused(t *testing.T) {
	var g gate
	if err := g.wait(context.Background()); err != nil {
		t.Fatalf("open gate: %v", err)
	}
	g.pause()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := g.wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("paused gate: %v, want deadline exceeded", err)
	}
	done := make(chan error, 1)
	go func() { done <- g.wait(context.Background()) }()
	g.unpause()
	if err := <-done; err != nil {
		t.Fatalf("after unpause: %v", err)
	}
}
