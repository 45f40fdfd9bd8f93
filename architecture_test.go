package streamctl_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// module is the import path of this module.
const module = "github.com/streamctl/streamctl"

// importRules are the arrows of the architecture (docs/architecture.md and
// the developers' guide): a package matching from must not depend, directly
// or through others, on a package matching any of not. A pattern is a
// package path in the module, "P/..." also matching the packages under P.
var importRules = []struct {
	from string
	not  []string
	why  string
}{
	{"state/...", []string{"lua", "bindings", "connectors/..."}, "state is plain Go: no Lua, no connector"},
	{"connectors/...", []string{"lua", "bindings"}, "connectors are plain Go, without Lua"},
	{"lua", []string{"bindings", "oneliner"}, "the runtime knows no module: bindings plug into it"},
	{"oneliner", []string{"bindings"}, "cmd hands the one-liner engine its modules"},
	{"value", []string{"..."}, "value is a leaf: everything imports it"},
	{"exitcode", []string{"..."}, "exitcode is a leaf: everything imports it"},
	{"clock", []string{"..."}, "clock is a leaf: the runtime, bindings and connectors get one"},
	{"...", []string{"cmd/..."}, "nothing imports the CLI"},
}

// listedPackage is what TestImportRules reads of `go list -json`.
type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string // non-test Go files, in Dir
	Imports    []string // direct imports, not of tests
	Deps       []string // every dependency, transitively
}

// TestImportRules fails when a package of the module depends on one that the
// architecture forbids it (importRules). .ci/run runs it as "the import-rule
// check".
func TestImportRules(t *testing.T) {
	pkgs := goList(t)
	if len(pkgs) < 8 {
		t.Fatalf("go list found %d packages, want the whole module", len(pkgs))
	}
	for _, v := range importViolations(pkgs) {
		t.Error(v)
	}
}

// maxFileLines bounds a hand-written non-test Go file: past it, a file
// holds more than one concern and should be split along them.
const maxFileLines = 900

// TestFileSize fails when a hand-written non-test Go file of the module is
// longer than maxFileLines. Generated files are exempt.
func TestFileSize(t *testing.T) {
	generated := regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)
	for _, p := range goList(t) {
		for _, name := range p.GoFiles {
			src, err := os.ReadFile(filepath.Join(p.Dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if generated.Match(src) {
				continue
			}
			if n := bytes.Count(src, []byte("\n")); n > maxFileLines {
				t.Errorf("%s/%s: %d lines, more than %d: split it by concern", strings.TrimPrefix(p.ImportPath, module+"/"), name, n, maxFileLines)
			}
		}
	}
}

// TestImportRulesCatch checks the checker itself on made-up packages.
func TestImportRulesCatch(t *testing.T) {
	p := func(path string, imports ...string) listedPackage {
		lp := listedPackage{ImportPath: module + "/" + path}
		for _, i := range imports {
			lp.Imports = append(lp.Imports, module+"/"+i)
			lp.Deps = append(lp.Deps, module+"/"+i)
		}
		return lp
	}
	for _, tt := range []struct {
		name string
		pkgs []listedPackage
		want []string
	}{
		{"allowed", []listedPackage{p("bindings", "lua", "state", "connectors"), p("state", "value", "exitcode"), p("lua", "connectors/codec", "value")}, nil},
		{"state imports a connector", []listedPackage{p("state", "connectors/codec")},
			[]string{"state depends on connectors/codec (imports connectors/codec): state is plain Go: no Lua, no connector"}},
		{"through another package", []listedPackage{
			{ImportPath: module + "/connectors/kafka", Imports: []string{module + "/connectors"}, Deps: []string{module + "/connectors", module + "/lua"}},
			p("connectors", "lua")},
			[]string{
				"connectors/kafka depends on lua (imports connectors): connectors are plain Go, without Lua",
				"connectors depends on lua (imports lua): connectors are plain Go, without Lua",
			}},
		{"lua imports bindings", []listedPackage{p("lua", "bindings")},
			[]string{"lua depends on bindings (imports bindings): the runtime knows no module: bindings plug into it"}},
		{"a leaf imports the module", []listedPackage{p("value", "exitcode")},
			[]string{"value depends on exitcode (imports exitcode): value is a leaf: everything imports it"}},
		{"something imports cmd", []listedPackage{p("bindings", "cmd/streamctl")},
			[]string{"bindings depends on cmd/streamctl (imports cmd/streamctl): nothing imports the CLI"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := importViolations(tt.pkgs); !slices.Equal(got, tt.want) {
				t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// importViolations lists, in package order, each dependency of a package
// that importRules forbid, naming the direct import it comes through.
func importViolations(pkgs []listedPackage) []string {
	var out []string
	for _, p := range pkgs {
		from, ok := strings.CutPrefix(p.ImportPath, module+"/")
		if !ok {
			continue // the module root, or not ours
		}
		for _, r := range importRules {
			if !matches(r.from, from) {
				continue
			}
			for _, dep := range p.Deps {
				d, ok := strings.CutPrefix(dep, module+"/")
				if !ok || d == from {
					continue
				}
				for _, not := range r.not {
					if matches(not, d) {
						out = append(out, fmt.Sprintf("%s depends on %s (imports %s): %s", from, d, through(p, d, pkgs), r.why))
					}
				}
			}
		}
	}
	return out
}

// matches reports whether the package path (relative to the module)
// matches pattern: "P", "P/..." (P and the packages under it) or "...".
func matches(pattern, path string) bool {
	if pattern == "..." {
		return true
	}
	if prefix, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == prefix || strings.HasPrefix(path, prefix+"/")
	}
	return path == pattern
}

// through names the direct import of p by which p depends on dep.
func through(p listedPackage, dep string, pkgs []listedPackage) string {
	byPath := map[string]listedPackage{}
	for _, q := range pkgs {
		byPath[q.ImportPath] = q
	}
	for _, imp := range p.Imports {
		if imp == module+"/"+dep || slices.Contains(byPath[imp].Deps, module+"/"+dep) {
			return strings.TrimPrefix(imp, module+"/")
		}
	}
	return "?"
}

// goList runs `go list -json ./...` in the module root.
func goList(t *testing.T) []listedPackage {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goCmd, "list", "-json", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}
