package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// windowKillScript counts 300 keyed events (every fifth one out of order)
// in tumbling windows, from the position in the cache "pos" on. With
// args.kill_at = n it adds n events, then writes args.marker and keeps
// running on filler records until it is killed; without, it reads to the
// end, which closes every window.
const windowKillScript = `
local pos = cache.open("pos")
local events = {}
for i = 1, 300 do events[i] = {i = i, k = "k" .. (i % 3), t = i * 1.5} end
for i = 5, 300, 5 do events[i], events[i - 1] = events[i - 1], events[i] end
local next_i = pos:get("next", 1)
local kill_at = tonumber(args.kill_at or 0)
local added = 0
local first_i = next_i
local function gen()
  -- iterate runs ahead of the handler (up to its buffer): count what was
  -- generated here, not what the handler added, or the generator could
  -- reach the end of the events, end the input and close every window.
  if kill_at > 0 and next_i - first_i >= kill_at then return {filler = true} end
  local e = events[next_i]
  if e then e.n = next_i end
  next_i = next_i + 1
  return e
end
handle(iterate(gen), {pipe = {pipe.filter(function(e)
  if e.filler or (kill_at > 0 and added >= kill_at) then
    if not marked then
      marked = true
      local f = assert(io.open(args.marker, "w"))
      f:close()
    end
    return false
  end
  pos:put("next", e.n + 1)
  added = added + 1
  return true
end), window.tumbling{size = 10, grace = 3, agg = "list",
  time = function(e) return e.t end, key = function(e) return e.k end}}}, function(w)
  local ids = {}
  for _, e in ipairs(w.value) do ids[#ids + 1] = e.i end
  table.sort(ids)
  return string.format("%s [%g,%g) %s", w.key, w.start, w["end"], table.concat(ids, ","))
end)
`

// TestWindowKill kills a `streamctl run` with SIGKILL while its windows are
// open, then runs it again over the rest of the events: the final windows
// of both runs are those of one uninterrupted run, none lost. A window
// result the first run returned just before it was killed may be emitted
// again at the start of the second run (at least once, as documented in
// state/window.go); anything else emitted twice is an error.
func TestWindowKill(t *testing.T) {
	bin := streamctlBin(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "count.lua")
	if err := os.WriteFile(script, []byte(windowKillScript), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(stateDir string, args ...string) []string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"run", "--state-dir", stateDir, script}, args...)...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("streamctl run: %v", err)
		}
		return lines(string(out))
	}
	want := run(filepath.Join(dir, "whole"))
	if len(want) != 136 { // 45 windows of 3 keys, and the last event's
		t.Fatalf("an uninterrupted run emitted %d windows, want 136", len(want))
	}
	slices.Sort(want)
	for _, killAt := range []int{13, 100, 187, 250} {
		t.Run(fmt.Sprintf("kill_at=%d", killAt), func(t *testing.T) {
			stateDir := filepath.Join(dir, fmt.Sprint("state", killAt))
			marker := filepath.Join(dir, fmt.Sprint("marker", killAt))
			cmd := exec.Command(bin, "run", "--state-dir", stateDir, script, "--set", fmt.Sprint("kill_at=", killAt), "--set", "marker="+marker)
			var out syncBuffer
			cmd.Stdout = &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				if _, err := os.Stat(marker); err == nil {
					break
				}
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					t.Fatal("the marker did not appear within 20s")
				}
				time.Sleep(5 * time.Millisecond)
			}
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
			first := lines(out.String())
			second := run(stateDir)
			got := append(slices.Clone(first), second...)
			slices.Sort(got)
			if !slices.Equal(slices.Compact(slices.Clone(got)), want) {
				t.Fatalf("after kill -9 at %d, the runs emitted\n%s\nwant\n%s", killAt, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			// Duplicates: only results of the first run re-emitted first
			// thing by the second.
			for i := 1; i < len(got); i++ {
				if got[i] != got[i-1] {
					continue
				}
				at := slices.Index(second, got[i])
				if !slices.Contains(first, got[i]) || at < 0 || slices.ContainsFunc(second[:at], func(s string) bool { return !slices.Contains(first, s) }) {
					t.Errorf("%q emitted twice, and not as a re-emission at the start of the second run\nfirst run:\n%s\nsecond run:\n%s",
						got[i], strings.Join(first, "\n"), strings.Join(second, "\n"))
				} else {
					t.Logf("%q re-emitted after the kill (at least once)", got[i])
				}
			}
		})
	}
}

func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
