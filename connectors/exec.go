package connectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"syscall"

	"github.com/streamctl/streamctl/connectors/codec"
)

// ExecConfig is the exec source's configuration: the Lua table of
// exec{cmd={...}, codec=, dir=, env=}.
type ExecConfig struct {
	// Cmd is the program and its arguments, no shell; required, Cmd[0]
	// non-empty. Cmd[0] is looked up in $PATH unless it contains a slash.
	Cmd []string
	// Codec decodes the child's stdout; required.
	Codec codec.Codec
	// Dir is the child's working directory; default "" = ours.
	Dir string
	// Env holds "KEY=value" entries added to our environment (later entries
	// win); default nil = our environment unchanged.
	Env []string
	// Stderr receives the child's stderr; default nil = discarded (the null
	// device, like io.Discard without a copying goroutine). The
	// runtime passes os.Stderr. When it is not an *os.File, os/exec copies
	// to it from a goroutine.
	Stderr io.Writer
}

// validate checks c.
func (c ExecConfig) validate() error {
	switch {
	case len(c.Cmd) == 0:
		return errors.New("exec: cmd must not be empty")
	case c.Cmd[0] == "":
		return errors.New("exec: cmd[1] (the program) must not be empty")
	case c.Codec == nil:
		return errors.New("exec: codec must be set")
	}
	return nil
}

// ExecSource runs a child process and emits the records decoded from its
// stdout, with Record.Source "exec:" + Cmd[0]. Each Run starts one child.
//
// Lifecycle of Run:
//  1. Start the child; a failure is an error
//     (`exec ["nope"]: exec: "nope": executable file not found in $PATH`).
//  2. Decode stdout and emit records until EOF, that is until the child and
//     any background process it started have closed stdout (as with the
//     shell's $(...)). emit's back-pressure reaches the child through the
//     pipe; nothing is dropped however slow the handlers are. Bad input is
//     emitted as a record with Err set, as in ReaderSource.
//  3. Wait for the child. A non-zero exit is an error returned after every
//     stdout record was emitted (`exec ["sh" "-c" "exit 2"]: exit status 2`).
//
// When ctx is done Run stops reading at once and returns ctx.Err() once the
// child has exited: the child gets SIGTERM (killed at once on Windows), then
// SIGKILL after the wait delay (default 2s, WithWaitDelay). Grandchildren are
// not signalled. When Run stops early for another reason (emit failed,
// undecodable input the codec cannot resync from) the child is stopped the
// same way and Run returns emit's error, or nil.
//
// Child stderr goes to ExecConfig.Stderr; when that is not an *os.File,
// os/exec copies it from a goroutine, and stops copying a wait delay after the
// child exited if a background process still holds it.
type ExecSource struct {
	cfg  ExecConfig
	opts execOpts
}

// NewExecSource validates cfg and returns the source. Nothing starts until Run.
func NewExecSource(cfg ExecConfig, opts ...ExecOpt) (*ExecSource, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &ExecSource{cfg: cfg, opts: execOpts{waitDelay: DefaultWaitDelay}}
	for _, o := range opts {
		o.apply(&s.opts)
	}
	return s, nil
}

// Name returns "exec:" + Cmd[0].
func (s *ExecSource) Name() string { return "exec:" + s.cfg.Cmd[0] }

// Run runs the child as described on ExecSource. It blocks until stdout is
// at EOF (or Run stops early) and the child has exited. The goroutines it
// starts (one waiting for the child, os/exec's ctx watcher and stderr copier)
// are done when it returns.
func (s *ExecSource) Run(ctx context.Context, emit func(context.Context, Record) error) error {
	wrap := func(err error) error { return fmt.Errorf("exec %q: %w", s.cfg.Cmd, err) }
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()

	cmd := exec.CommandContext(cctx, s.cfg.Cmd[0], s.cfg.Cmd[1:]...)
	cmd.Dir = s.cfg.Dir
	if s.cfg.Env != nil {
		cmd.Env = append(os.Environ(), s.cfg.Env...)
	}
	cmd.Stderr = s.cfg.Stderr // nil: the null device
	cmd.Cancel = func() error {
		if runtime.GOOS == "windows" { // no SIGTERM there
			return cmd.Process.Kill()
		}
		return cmd.Process.Signal(syscall.SIGTERM)
	}
	cmd.WaitDelay = s.opts.waitDelay
	// stdout is an OS pipe we own rather than StdoutPipe, so that Wait can
	// run concurrently with decoding and never closes or drains it behind our
	// back: a slow handler loses nothing, however long ago the child exited.
	pr, pw, err := os.Pipe()
	if err != nil {
		return wrap(err)
	}
	defer pr.Close()
	cmd.Stdout = pw
	err = cmd.Start()
	pw.Close() // the child has its copy; EOF comes when every holder closes it
	if err != nil {
		return wrap(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	// Unblock a decoder waiting for output as soon as ctx is done, even if a
	// grandchild keeps the pipe open.
	stop := context.AfterFunc(cctx, func() { pr.Close() })
	defer stop()

	eof, err := decodeLoop(ctx, s.cfg.Codec.NewDecoder(pr), s.Name(), nil, nil, emit, func(err error) error {
		return wrap(fmt.Errorf("read stdout: %w", err))
	})
	if !eof {
		cancel() // SIGTERM, then SIGKILL after the wait delay
		pr.Close()
	}
	werr := <-waited
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil || !eof:
		return err
	case werr != nil && !errors.Is(werr, exec.ErrWaitDelay):
		return wrap(werr)
	}
	return nil
}

var (
	_ Source = (*ExecSource)(nil)
	_ Named  = (*ExecSource)(nil)
)
