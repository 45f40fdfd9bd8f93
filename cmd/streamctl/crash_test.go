package main

import (
	"bufio"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// streamctlBin returns a path that runs this test binary as the streamctl
// command (TestMain dispatches on the program name). Tests and benchmarks.
func streamctlBin(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "streamctl")
	if err := os.Symlink(exe, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// TestCrashSafety kills a writing `streamctl run` with SIGKILL at a random
// point; the stored value is never behind what the script printed, because
// output is flushed before each write is made durable and every write is in
// the journal once the call returns.
func TestCrashSafety(t *testing.T) {
	bin := streamctlBin(t)
	for _, tt := range []struct{ name, script, read string }{
		{"cache incr", `local c = cache.open("counter")
while true do print(c:incr("n")) end`, `print(cache.open("counter"):get("n", 0))`},
		{"state save", `local s = state.load("col", {n = 0})
while true do s.n = s.n + 1; state.save("col", s); print(s.n) end`, `print(state.load("col", {n = 0}).n)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name, src string) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
				return p
			}
			writer, reader := write("writer.lua", tt.script), write("reader.lua", tt.read)
			stateDir := filepath.Join(dir, "state")
			for round := 0; round < 3; round++ {
				cmd := exec.Command(bin, "run", "--state-dir", stateDir, writer)
				out, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				cmd.Stderr = os.Stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				// Kill after a random number of acknowledged values.
				killAt := 20 + rand.IntN(200)
				sc := bufio.NewScanner(out)
				last, seen := 0, 0
				deadline := time.Now().Add(20 * time.Second)
				for sc.Scan() {
					n, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
					if err != nil {
						t.Fatalf("bad output %q", sc.Text())
					}
					last = n
					if seen++; seen == killAt {
						_ = cmd.Process.Signal(syscall.SIGKILL)
					}
					if time.Now().After(deadline) {
						t.Fatal("writer too slow")
					}
				}
				_ = cmd.Wait()
				if seen < killAt {
					t.Fatalf("writer printed only %d values", seen)
				}
				got, err := exec.Command(bin, "run", "--state-dir", stateDir, reader).Output()
				if err != nil {
					t.Fatalf("reader: %v", err)
				}
				stored, err := strconv.Atoi(strings.TrimSpace(string(got)))
				if err != nil {
					t.Fatalf("reader output %q", got)
				}
				if stored < last {
					t.Fatalf("round %d: stored %d < last printed %d", round, stored, last)
				}
			}
		})
	}
}
