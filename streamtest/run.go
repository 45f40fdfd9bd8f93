package streamtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/clock"
	"github.com/streamctl/streamctl/exitcode"
	"github.com/streamctl/streamctl/lua"
	"github.com/streamctl/streamctl/state"
)

// result is what running one case gave.
type result struct {
	failures []string // one block of text per failed check
	logs     string
	elapsed  time.Duration
}

// runCase runs the script of c on a virtual clock with c's fixtures and
// checks the outputs. The script runs in the directory of the test file
// (the process's working directory is changed meanwhile), with a fresh
// state directory.
func runCase(ctx context.Context, c *Case) (res result) {
	began := time.Now()
	defer func() { res.elapsed = time.Since(began) }()
	fail := func(format string, args ...any) { res.failures = append(res.failures, fmt.Sprintf(format, args...)) }

	dir := filepath.Dir(c.File)
	src, scriptName := c.Source, "test.lua"
	if src == nil {
		scriptName = c.Script
		b, err := os.ReadFile(filepath.Join(dir, c.Script))
		if err != nil {
			fail("script: %v", err)
			return res
		}
		src = b
	}
	stateDir, err := os.MkdirTemp("", "streamctl-test-")
	if err != nil {
		fail("%v", err)
		return res
	}
	defer os.RemoveAll(stateDir)
	wd, err := os.Getwd()
	if err != nil {
		fail("%v", err)
		return res
	}
	if err := os.Chdir(dir); err != nil {
		fail("%v", err)
		return res
	}
	defer os.Chdir(wd) //nolint:errcheck // best effort: the next case changes it again

	v := clock.NewVirtual(c.Start)
	clockCtx, stopClock := context.WithCancel(context.Background())
	defer stopClock()
	fx := newFixtures(clockCtx, c, v)
	var logBuf, stdout, stderr bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st, err := state.Open(filepath.Join(stateDir, "state"), state.WithClock(v.Now), state.WithLogger(log), state.WithSweepInterval(0))
	if err != nil {
		fail("%v", err)
		return res
	}
	mods := bindings.Modules(bindings.Deps{
		State:      st,
		Logger:     log,
		Set:        c.Set,
		Positional: c.Positional,
		Clock:      v,
		Fixtures:   fx,
	})
	rt := lua.New(lua.Options{
		Script:  scriptName,
		Source:  src,
		Modules: mods,
		Logger:  log,
		Stdin:   bytes.NewReader(c.Stdin),
		Stdout:  &stdout,
		Stderr:  &stderr,
		Getenv: func(name string) (string, bool) {
			v, ok := c.Env[name]
			return v, ok
		},
		State: st,
		Clock: v,
	})

	runCtx, cancelRun := context.WithTimeout(ctx, c.Timeout)
	defer cancelRun()
	clockDone := make(chan struct{})
	go func() {
		defer close(clockDone)
		v.Run(clockCtx, func(stuck bool) bool { return fx.idle(rt, stuck) })
	}()
	// Timed ends: run_for, and the inputs' close_at.
	at := func(d time.Duration, do func()) {
		h := v.Hold()
		go func() {
			defer h.Done()
			if v.SleepLast(clock.WithParker(clockCtx, h), d) == nil {
				do()
			}
		}()
	}
	if c.RunFor > 0 {
		at(c.RunFor, rt.Stop)
	}
	runErr := rt.Run(runCtx)
	stopClock()
	<-clockDone
	timedOut := errors.Is(runCtx.Err(), context.DeadlineExceeded)
	res.logs = logBuf.String()

	for _, err := range fx.errs {
		fail("fixture: %v", err)
	}
	switch {
	case timedOut:
		fail("the job did not end within %s (real time): does a source never end? give the test run_for = DURATION", c.Timeout)
	case c.Expect.Error != "":
		if runErr == nil {
			fail("the job succeeded; expected it to fail with %q", c.Expect.Error)
		} else if !strings.Contains(runErr.Error(), c.Expect.Error) {
			fail("the job failed with %q; expected %q", oneLine(runErr), c.Expect.Error)
		}
	case runErr != nil && !errors.Is(runErr, exitcode.ErrInterrupted):
		fail("the job failed: %s", oneLine(runErr))
	}
	for _, o := range c.Expect.Outputs {
		if d := fx.check(o, stdout.Bytes(), stderr.Bytes()); d != "" {
			fail("%s (-expected +actual):\n%s", o.Sink, d)
		}
	}
	for _, name := range sortedKeys(c.Expect.Caches) {
		got, err := fx.cacheEntries(name)
		if err != nil {
			fail("cache %s: %v", name, err)
			continue
		}
		if d := matchCache(got, c.Expect.Caches[name]); d != "" {
			fail("cache %s (-expected +actual):\n%s", name, d)
		}
	}
	if err := st.Close(); err != nil {
		fail("close the state: %v", err)
	}
	return res
}

// idle is the virtual clock's idle hook (clock.Virtual.Run): with no work
// left, the inputs that delivered everything end, as a finite input does;
// when nothing at all can happen any more, the job is stopped.
func (fx *fixtures) idle(rt *lua.Runtime, stuck bool) bool {
	did := false
	// Only once the handlers finished every record: one waiting on the
	// clock may still seek back or resume its topic.
	for _, e := range fx.enders() {
		if rt.RecordsInFlight() == 0 && e.Waiting() {
			e.End()
			did = true
		}
	}
	if did {
		return true
	}
	if !stuck {
		return false
	}
	fx.mu.Lock()
	first := !fx.stopped
	fx.stopped = true
	fx.mu.Unlock()
	if first {
		rt.Stop() // a server or a source that waits forever: nothing comes
	}
	return first
}

// check compares one sink's outputs.
func (fx *fixtures) check(o Output, stdout, stderr []byte) string {
	switch {
	case o.Sink == "stdout":
		return matchLines(lines(stdout), o.Want)
	case o.Sink == "stderr":
		return matchLines(lines(stderr), o.Want)
	case strings.HasPrefix(o.Sink, "file:"):
		fx.mu.Lock()
		f := fx.files[o.Sink]
		fx.mu.Unlock()
		var got []string
		if f != nil {
			got = lines(f.buf.Bytes())
		}
		return matchLines(got, o.Want)
	case strings.HasPrefix(o.Sink, "kafka:"):
		fx.mu.Lock()
		t := fx.topics[o.Sink]
		fx.mu.Unlock()
		if t == nil {
			return matchRecords(nil, o.Want)
		}
		return matchRecords(t.Written(), o.Want)
	default: // http:URL
		fx.http.mu.Lock()
		bodies := fx.http.posted[o.Sink]
		fx.http.mu.Unlock()
		var got []string
		for _, b := range bodies {
			got = append(got, strings.TrimSuffix(string(b), "\n"))
		}
		return matchLines(got, o.Want)
	}
}

// cacheEntries reads every entry of a cache the run opened.
func (fx *fixtures) cacheEntries(name string) ([][2]any, error) {
	fx.mu.Lock()
	c := fx.caches[name]
	fx.mu.Unlock()
	if c == nil {
		return nil, errors.New("the script never opened it")
	}
	var out [][2]any
	err := c.Range(state.RangeOptions{}, func(k, v any) bool {
		out = append(out, [2]any{k, v})
		return true
	})
	return out, err
}

func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}
