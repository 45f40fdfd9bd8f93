// Package streamtest runs the test files of scripts (`streamctl test`): a
// file JOB_test.lua beside JOB.lua calls test(name, spec) for each case; a
// case runs the script with fixture records in place of its Kafka topics,
// HTTP streams and responses and stdin, on a virtual clock (package clock),
// and compares what each sink received and what the caches hold at the end
// with what the case expects. Timers, sleep, time.now, the idle checks of
// windows and TTLs follow the virtual clock, which moves only when the job
// has nothing left to do: an hour of ticks takes milliseconds, the same
// every run.
//
// The test-file API (test, record) is documented in the reference's "test"
// module (bindings/test_doc.go).
package streamtest

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// TestFileSuffix ends the names of test files: job_test.lua tests job.lua.
const TestFileSuffix = "_test.lua"

// Options configure Run.
type Options struct {
	// Out receives the report: one line per case, a diff per failed check,
	// and "N passed, N failed" at the end.
	Out io.Writer
	// Verbose also prints each failed case's logs.
	Verbose bool
	// Run, when set, runs only the cases whose "file: name" it matches.
	Run *regexp.Regexp
}

// Summary counts the cases run.
type Summary struct {
	Passed, Failed int
}

// Run finds the test files under paths (a file, or a directory searched
// recursively for *_test.lua, hidden directories and testdata skipped),
// runs their cases one after the other and reports to o.Out. A test file
// that cannot be loaded counts as one failed case. The error is for paths
// that do not exist or hold no test file.
func Run(ctx context.Context, paths []string, o Options) (Summary, error) {
	var sum Summary
	files, err := Find(paths)
	if err != nil {
		return sum, err
	}
	for _, f := range files {
		cases, err := Load(f)
		if err != nil {
			sum.Failed++
			fmt.Fprintf(o.Out, "FAIL %s: %s\n", f, oneLine(err))
			continue
		}
		for _, c := range cases {
			title := fmt.Sprintf("%s:%d: %s", c.File, c.Line, c.Name)
			if o.Run != nil && !o.Run.MatchString(c.File+": "+c.Name) {
				continue
			}
			if ctx.Err() != nil {
				return sum, ctx.Err()
			}
			res := runCase(ctx, c)
			if len(res.failures) == 0 {
				sum.Passed++
				fmt.Fprintf(o.Out, "ok   %s (%s)\n", title, res.elapsed.Round(1e6))
				continue
			}
			sum.Failed++
			fmt.Fprintf(o.Out, "FAIL %s (%s)\n", title, res.elapsed.Round(1e6))
			for _, f := range res.failures {
				fmt.Fprintf(o.Out, "%s\n", indent(strings.TrimRight(f, "\n")))
			}
			if o.Verbose && res.logs != "" {
				fmt.Fprintf(o.Out, "    logs:\n%s\n", indent(indent(strings.TrimRight(res.logs, "\n"))))
			}
		}
	}
	fmt.Fprintf(o.Out, "%d passed, %d failed\n", sum.Passed, sum.Failed)
	return sum, nil
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// Find returns the test files under paths, sorted, each once.
func Find(paths []string) ([]string, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	seen := map[string]bool{}
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			if !seen[p] {
				seen[p] = true
				files = append(files, p)
			}
			continue
		}
		found := 0
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(d.Name(), TestFileSuffix) {
				found++
				if !seen[path] {
					seen[path] = true
					files = append(files, path)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if found == 0 {
			return nil, fmt.Errorf("%s: no test files (*%s)", p, TestFileSuffix)
		}
	}
	sort.Strings(files)
	return files, nil
}
