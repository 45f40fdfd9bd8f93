package connectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func newExec(t *testing.T, cfg ExecConfig, opts ...ExecOpt) *ExecSource {
	t.Helper()
	if cfg.Cmd[0] == "sh" {
		if _, err := exec.LookPath("sh"); err != nil {
			t.Skip("no sh in $PATH")
		}
	}
	if cfg.Codec == nil {
		cfg.Codec = textCodec(t)
	}
	s, err := NewExecSource(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestExecConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		cfg  ExecConfig
		want string
	}{
		{ExecConfig{Codec: lineCodec{}}, "exec: cmd must not be empty"},
		{ExecConfig{Cmd: []string{""}, Codec: lineCodec{}}, "exec: cmd[1] (the program) must not be empty"},
		{ExecConfig{Cmd: []string{"ls"}}, "exec: codec must be set"},
	} {
		_, err := NewExecSource(tt.cfg)
		if err == nil || err.Error() != tt.want {
			t.Errorf("NewExecSource(%+v) = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

func TestExecSource(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name    string
		cfg     ExecConfig
		want    []string
		wantErr string
	}{
		{"success", ExecConfig{Cmd: []string{"sh", "-c", "printf 'a\\nb\\n'"}}, []string{"a", "b"}, ""},
		{"no output", ExecConfig{Cmd: []string{"sh", "-c", "true"}}, nil, ""},
		{"non-zero exit after records", ExecConfig{Cmd: []string{"sh", "-c", "echo a; echo b; exit 2"}},
			[]string{"a", "b"}, `exec ["sh" "-c" "echo a; echo b; exit 2"]: exit status 2`},
		{"bad input", ExecConfig{Cmd: []string{"sh", "-c", "echo 1; echo '{x'; echo 3"}, Codec: jsonCodec(t)},
			[]string{"1", "ERR", "3"}, ""},
		{"bad input without resync stops the child",
			ExecConfig{Cmd: []string{"sh", "-c", "echo '!!x'; exec sleep 30"}, Codec: lineCodec{}},
			[]string{"ERR"}, ""},
		{"env and dir", ExecConfig{Cmd: []string{"sh", "-c", `echo "$FOO"; pwd`}, Env: []string{"FOO=bar"}, Dir: dir},
			[]string{"bar", dir}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := start(t, newExec(t, tt.cfg))
			err := c.wait(t)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Errorf("Run = %v, want %q", err, tt.wantErr)
			}
			if got := strs(c.records()); !slices.Equal(got, tt.want) {
				t.Errorf("values = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExecSourceRecord(t *testing.T) {
	c := start(t, newExec(t, ExecConfig{Cmd: []string{"sh", "-c", "echo 1; echo '{b'"}, Codec: jsonCodec(t)}))
	if err := c.wait(t); err != nil {
		t.Fatal(err)
	}
	recs := c.records()
	if recs[0].Source != "exec:sh" || recs[0].Pos != 1 {
		t.Errorf("record = %+v", recs[0])
	}
	if got := recs[1].Err.Error(); !strings.HasPrefix(got, "exec:sh:2: invalid JSON: ") {
		t.Errorf("bad input = %q", got)
	}
}

func TestExecSourceStderr(t *testing.T) {
	var stderr bytes.Buffer
	c := start(t, newExec(t, ExecConfig{Cmd: []string{"sh", "-c", "echo out; echo oops >&2"}, Stderr: &stderr}))
	if err := c.wait(t); err != nil {
		t.Fatal(err)
	}
	if got := stderr.String(); got != "oops\n" {
		t.Errorf("stderr = %q", got)
	}
	if got := strs(c.records()); !slices.Equal(got, []string{"out"}) {
		t.Errorf("values = %q", got)
	}
}

func TestExecSourceMissingBinary(t *testing.T) {
	err := newExec(t, ExecConfig{Cmd: []string{"streamctl-no-such-binary"}}).Run(context.Background(), nil)
	want := `exec ["streamctl-no-such-binary"]: exec: "streamctl-no-such-binary": executable file not found in $PATH`
	if err == nil || err.Error() != want || !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("Run = %v, want %q", err, want)
	}
	path := filepath.Join(t.TempDir(), "nope")
	err = newExec(t, ExecConfig{Cmd: []string{path}}).Run(context.Background(), nil)
	want = "exec [\"" + path + "\"]: fork/exec " + path + ": no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("Run = %v, want %q", err, want)
	}
}

func TestExecSourceCancel(t *testing.T) {
	c := start(t, newExec(t, ExecConfig{Cmd: []string{"sh", "-c", "echo a; exec sleep 30"}}))
	c.waitN(t, 1)
	begin := time.Now()
	if err := c.stop(t); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if d := time.Since(begin); d > 500*time.Millisecond {
		t.Errorf("Run returned %v after cancel", d)
	}
}

func TestExecSourceCancelGrandchildHoldsStdout(t *testing.T) {
	// sh dies on SIGTERM but the background sleep keeps stdout open: the wait
	// delay closes the pipe so Run does not wait for the sleep.
	c := start(t, newExec(t, ExecConfig{Cmd: []string{"sh", "-c", "sleep 2 & echo a; wait"}},
		WithWaitDelay(50*time.Millisecond)))
	c.waitN(t, 1)
	begin := time.Now()
	if err := c.stop(t); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if d := time.Since(begin); d > time.Second {
		t.Errorf("Run returned %v after cancel", d)
	}
}

func TestExecSourceSlowReaderLosesNothing(t *testing.T) {
	// The child writes everything (less than a pipe buffer) and exits while
	// the first emit is still blocked; with a tiny wait delay nothing of what
	// is left in the pipe may be dropped.
	marker := filepath.Join(t.TempDir(), "done")
	script := `i=1; while [ $i -le 5000 ]; do echo $i; i=$((i+1)); done; : > "$1"`
	src := newExec(t, ExecConfig{Cmd: []string{"sh", "-c", script, "sh", marker}, Codec: jsonCodec(t)},
		WithWaitDelay(time.Millisecond))
	n := 0
	err := src.Run(context.Background(), func(_ context.Context, r Record) error {
		if n++; n == 1 {
			waitFor(t, func() bool { _, err := os.Stat(marker); return err == nil }, 5*time.Second)
		}
		if want := int64(n); r.Value != want {
			return fmt.Errorf("record %d = %#v, want %d", n, r.Value, want)
		}
		return nil
	})
	if err != nil || n != 5000 {
		t.Errorf("Run = %v after %d records, want nil after 5000", err, n)
	}
}

func TestExecSourceEmitError(t *testing.T) {
	src := newExec(t, ExecConfig{Cmd: []string{"sh", "-c", "while :; do echo y; done"}})
	stop := errors.New("stop")
	n := 0
	err := src.Run(context.Background(), func(context.Context, Record) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Errorf("Run = %v after %d records, want stop after 3", err, n)
	}
}
