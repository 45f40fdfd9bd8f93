package streamtest_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/streamtest"
)

// runFile writes src as a test file in a temporary directory and runs it.
func runFile(t *testing.T, src string) (string, streamtest.Summary) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "job_test.lua")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sum, err := streamtest.Run(context.Background(), []string{path}, streamtest.Options{Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), sum
}

// TestReferenceExamples runs the examples of the reference's test module:
// they are test files, and they pass.
func TestReferenceExamples(t *testing.T) {
	n := 0
	for _, d := range bindings.Docs() {
		if d.Module != bindings.TestModule {
			continue
		}
		n++
		t.Run(d.Name, func(t *testing.T) {
			out, sum := runFile(t, d.Example)
			if sum.Failed > 0 || sum.Passed == 0 {
				t.Errorf("example of %s:\n%s", d.Name, out)
			}
		})
	}
	if n == 0 {
		t.Fatal("no entries in the test module")
	}
}

// TestSpecMatchesReference: the fields of test.Spec and test.Record are
// the options test() and record() take, and the test module documents
// every global a test file gets.
func TestSpecMatchesReference(t *testing.T) {
	known := regexp.MustCompile(`unknown option "__bogus" \(known: ([a-z_, ]+)\)`)
	for _, tt := range []struct{ class, src string }{
		{"test.Spec", `test("x", {__bogus = 1})`},
		{"test.Record", `test("x", {inputs = {["kafka:t"] = {record{__bogus = 1}}}})`},
	} {
		out, _ := runFile(t, tt.src)
		m := known.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("%s: no unknown-option error in %s", tt.class, out)
		}
		fields, ok := bindings.ClassFields(tt.class)
		if !ok {
			t.Fatalf("no class %s", tt.class)
		}
		var want []string
		for _, f := range fields {
			want = append(want, f.Name)
		}
		sort.Strings(want)
		if got := strings.Split(m[1], ", "); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: test files accept %v, the reference documents %v", tt.class, got, want)
		}
	}
	var documented []string
	for _, d := range bindings.Docs() {
		if d.Module == bindings.TestModule {
			documented = append(documented, d.Name)
		}
	}
	sort.Strings(documented)
	if strings.Join(documented, ",") != strings.Join(streamtest.TestModuleNames, ",") {
		t.Errorf("test files have %v, the reference documents %v", streamtest.TestModuleNames, documented)
	}
}

// TestVirtualClockIsDeterministic runs a job full of timers, sleeps and
// window idle checks many times: the same outputs every time, at once.
func TestVirtualClockIsDeterministic(t *testing.T) {
	src := `
test("ticks, sleeps and idle windows", {
  source = [[
    local n = 0
    handle(timer{every = "7s", count = 20}, function(_, meta)
      n = n + 1
      if n % 3 == 0 then sleep("5s") end
      return n .. " " .. time.format(meta.time, "%H:%M:%S") .. " " .. time.format(time.now(), "%H:%M:%S")
    end)
    handle(kafka.topic("clicks"), {pipe = {window.tumbling{size = "1m", idle = "30s", agg = "count",
        cache = cache.open("w", {memory = true})}}}, function(w)
      return "window " .. time.format(w.start, "%H:%M:%S") .. " " .. w.value
    end)
  ]],
  inputs = {["kafka:clicks"] = {close_at = "10m", "a", record{value = "b", at = "20s"}, record{value = "c", at = "2m"}}},
  expect = {stdout = {
    "1 00:00:07 00:00:07", "2 00:00:14 00:00:14", "3 00:00:21 00:00:26", "4 00:00:28 00:00:28",
    "5 00:00:35 00:00:35", "6 00:00:42 00:00:47", "7 00:00:49 00:00:49",
    "window 00:00:00 2", -- closed by idle: 30s after b (00:00:20), checked every 3s
    "8 00:00:56 00:00:56", "9 00:01:03 00:01:08", "10 00:01:10 00:01:10", "11 00:01:17 00:01:17",
    "12 00:01:24 00:01:29", "13 00:01:31 00:01:31", "14 00:01:38 00:01:38", "15 00:01:45 00:01:50",
    "16 00:01:52 00:01:52", "17 00:01:59 00:01:59", "18 00:02:06 00:02:11", "19 00:02:13 00:02:13",
    "20 00:02:20 00:02:20",
    "window 00:02:00 1", -- closed by idle too, long before close_at
  }},
})`
	var first string
	for i := 0; i < 20; i++ {
		out, _ := runFile(t, src)
		// The whole stdout is compared through the diff of the one case.
		out = regexp.MustCompile(`\(\d+ms\)|\S*/job_test\.lua`).ReplaceAllString(out, "")
		if i == 0 {
			first = out
			continue
		}
		if out != first {
			t.Fatalf("run %d differs:\n%s\nfirst:\n%s", i, out, first)
		}
	}
	if !strings.Contains(first, "1 passed, 0 failed") {
		t.Errorf("the case failed:\n%s", first)
	}
}
