package state

import (
	"bufio"
	"fmt"
	"github.com/syndtr/goleveldb/leveldb"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The test binary doubles as a helper process for the tests that need a
// second process (locks, kill -9): with STATE_TEST_HELPER set, TestMain runs
// the helper instead of the tests.
func TestMain(m *testing.M) {
	if mode := os.Getenv("STATE_TEST_HELPER"); mode != "" {
		if err := helper(mode, os.Getenv("STATE_TEST_DIR"), os.Getenv("STATE_TEST_NAME")); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helper runs in the child process. Modes:
//
//	hold:  open cache NAME, print "ready", wait for stdin to close
//	puts:  open cache NAME, put i -> i for i = 0, 1, ..., printing each i after Put returns
//	saves: save state NAME = {i, payload of i} for i = 0, 1, ..., printing each i after Save returns
func helper(mode, dir, name string) error {
	s, err := Open(dir)
	if err != nil {
		return err
	}
	defer s.Close()
	switch mode {
	case "hold":
		c, err := s.Cache(name, CacheConfig{})
		if err != nil {
			return err
		}
		fmt.Println("ready")
		io.Copy(io.Discard, os.Stdin)
		return c.Close()
	case "puts":
		c, err := s.Cache(name, CacheConfig{})
		if err != nil {
			return err
		}
		for i := int64(0); ; i++ {
			if err := c.Put(i, []any{i, strings.Repeat("x", int(i%100))}, 0); err != nil {
				return err
			}
			fmt.Println(i)
		}
	case "saves":
		for i := int64(0); ; i++ {
			if err := s.Save(name, statePayload(i)); err != nil {
				return err
			}
			fmt.Println(i)
		}
	}
	return fmt.Errorf("unknown mode %q", mode)
}

// statePayload is the value saved at step i: big enough to span journal blocks.
func statePayload(i int64) any {
	return obj("step", i, "data", strings.Repeat(strconv.FormatInt(i%10, 10), 40000))
}

// child is a helper process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

// startHelper starts the test binary as a helper process in mode; it is
// killed at the end of the test.
func startHelper(t *testing.T, mode, dir, name string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "STATE_TEST_HELPER="+mode, "STATE_TEST_DIR="+dir, "STATE_TEST_NAME="+name)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return &child{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
}

// line returns the child's next output line.
func (c *child) line(t *testing.T) string {
	t.Helper()
	if !c.out.Scan() {
		t.Fatalf("helper ended: %v", c.out.Err())
	}
	return c.out.Text()
}

// newStore opens a Store in a temporary directory, closed at the end of the test.
func newStore(t *testing.T, opts ...Opt) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// openCache opens a cache of s, closed at the end of the test.
func openCache(t *testing.T, s *Store, name string, cfg CacheConfig) *Cache {
	t.Helper()
	c, err := s.Cache(name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// fakeClock is a settable clock for WithClock.
type fakeClock struct{ ns atomic.Int64 }

func newClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond) // poll interval, not a wait for an event
	}
}

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// openLegacy opens (creating) a goleveldb database at path, as earlier
// versions kept one per cache.
func openLegacy(t *testing.T, path string) *leveldb.DB {
	t.Helper()
	db, err := leveldb.OpenFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return db
}
