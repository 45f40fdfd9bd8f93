package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"
	"github.com/urfave/cli/v2"

	"github.com/streamctl/streamctl/bindings"
)

// TestCookbookScripts runs every example in scripts/ end to end through the
// real CLI: cmd/streamctl/testdata/scripts/NAME.txtar runs `streamctl run
// $REPO/scripts/NAME.lua` and compares its exact output. It fails first if a
// script has no such test or no test file scripts/NAME_test.lua (so a new
// example cannot go untested) or a test has no script (so a renamed example
// cannot leave a stale one). The test files themselves run in
// testdata/test.txtar (`streamctl test $REPO/scripts`).
func TestCookbookScripts(t *testing.T) {
	root := filepath.Join("..", "..")
	all, err := filepath.Glob(filepath.Join(root, "scripts", "*.lua"))
	if err != nil {
		t.Fatal(err)
	}
	var scripts, testFiles []string
	for _, p := range all {
		if strings.HasSuffix(p, "_test.lua") {
			testFiles = append(testFiles, strings.TrimSuffix(p, "_test.lua")+".lua")
		} else {
			scripts = append(scripts, p)
		}
	}
	for _, name := range missing(baseNames(scripts, ".lua"), baseNames(testFiles, ".lua")) {
		t.Errorf("scripts/%s.lua has no test file: add scripts/%s_test.lua (streamctl docs test)", name, name)
	}
	for _, name := range missing(baseNames(testFiles, ".lua"), baseNames(scripts, ".lua")) {
		t.Errorf("scripts/%s_test.lua tests scripts/%s.lua, which does not exist", name, name)
	}
	tests, err := filepath.Glob(filepath.Join("testdata", "scripts", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) == 0 {
		t.Fatal("no scripts/*.lua found")
	}
	for _, name := range missing(baseNames(scripts, ".lua"), baseNames(tests, ".txtar")) {
		t.Errorf("scripts/%s.lua has no expected output: add testdata/scripts/%s.txtar running `exec streamctl run $REPO/scripts/%[1]s.lua` and `cmp stdout want.txt`", name, name)
	}
	for _, name := range missing(baseNames(tests, ".txtar"), baseNames(scripts, ".lua")) {
		t.Errorf("testdata/scripts/%s.txtar tests scripts/%s.lua, which does not exist", name, name)
	}
	for _, path := range tests {
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		if err := checkScriptTest(path, name); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
	if t.Failed() {
		return
	}
	testscript.Run(t, scriptParams(t, filepath.Join("testdata", "scripts")))
}

// checkScriptTest makes sure a cookbook test runs its script and compares
// stdout exactly.
func checkScriptTest(path, name string) error {
	a, err := txtar.ParseFile(path)
	if err != nil {
		return err
	}
	script := string(a.Comment)
	run := regexp.MustCompile(`(?m)^\s*(exec|exitcode \d+) streamctl run .*\$REPO/scripts/` + regexp.QuoteMeta(name) + `\.lua\b`)
	if !run.MatchString(script) {
		return fmt.Errorf("does not run `streamctl run $REPO/scripts/%s.lua`", name)
	}
	if !regexp.MustCompile(`(?m)^\s*cmp stdout `).MatchString(script) {
		return fmt.Errorf("does not check the exact output with `cmp stdout FILE`")
	}
	return nil
}

func baseNames(paths []string, ext string) []string {
	names := make([]string, 0, len(paths))
	for _, p := range paths {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ext))
	}
	sort.Strings(names)
	return names
}

// missing returns the names of want that are not in have.
func missing(want, have []string) []string {
	set := make(map[string]bool, len(have))
	for _, h := range have {
		set[h] = true
	}
	var out []string
	for _, w := range want {
		if !set[w] {
			out = append(out, w)
		}
	}
	return out
}

// TestCitedScriptsExist: every file under scripts/ that a help text, the
// Lua reference (streamctl docs), the README, docs/ or a script's comments
// cite exists, so no example points at nothing.
func TestCitedScriptsExist(t *testing.T) {
	root := filepath.Join("..", "..")
	texts := map[string]string{
		// The reference is docs/reference.md (read below), which a test
		// of package bindings keeps equal to what streamctl docs prints.
		"streamctl docs": bindings.IndexMarkdown(),
	}
	app := newApp(&env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard})
	texts["streamctl --help"] = app.Usage + "\n" + app.Description
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			name := prefix + " " + c.Name
			texts[name+" --help"] = strings.Join([]string{c.Usage, c.UsageText, c.ArgsUsage, c.Description}, "\n")
			for _, f := range c.Flags {
				if df, ok := f.(cli.DocGenerationFlag); ok {
					texts[name+" --help"] += "\n" + df.GetUsage()
				}
			}
			walk(name, c.Subcommands)
		}
	}
	walk("streamctl", app.Commands)
	var files []string
	for _, pattern := range []string{"README.md", "docs/*.md", "scripts/*.lua", "justfile", ".ci/run"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts[f] = string(b)
	}
	cited := regexp.MustCompile(`scripts/[a-z0-9_/.-]*[a-z0-9_]\.(lua|csv|kv|sh|go)\b`)
	n := 0
	for where, text := range texts {
		for _, path := range cited.FindAllString(text, -1) {
			n++
			if _, err := os.Stat(filepath.Join(root, path)); err != nil {
				t.Errorf("%s cites %s, which does not exist", where, path)
			}
		}
	}
	if n < 10 {
		t.Fatalf("found only %d citations: is the pattern broken?", n)
	}
}

// TestRepros runs testdata/repro/*.txtar: minimal reproductions of known
// runtime and CLI bugs, each explained at its top. They fail until the bug is
// fixed, so they only run when asked: STREAMCTL_REPROS=1 go test -run
// TestRepros ./cmd/streamctl/. Once one passes, move its checks into the
// area's testdata/*.txtar and delete it.
func TestRepros(t *testing.T) {
	if os.Getenv("STREAMCTL_REPROS") == "" {
		t.Skip("set STREAMCTL_REPROS=1 to run the reproductions of known bugs in testdata/repro")
	}
	testscript.Run(t, scriptParams(t, filepath.Join("testdata", "repro")))
}
