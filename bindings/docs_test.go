package bindings_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/connectors/kafka"
	"github.com/streamctl/streamctl/lua"
)

var updateReference = flag.Bool("update", false, "rewrite docs/reference.md from the reference (bindings/*_doc.go)")

// referencePath is docs/reference.md, relative to this package's directory.
var referencePath = filepath.Join("..", "docs", "reference.md")

// gopherLuaGlobals are the globals of a plain gopher-lua state
// (glua.NewState()). streamctl documents only what it adds or replaces.
var gopherLuaGlobals = []string{
	"_G", "_GOPHER_LUA_VERSION", "_VERSION", "_printregs",
	"assert", "collectgarbage", "dofile", "error", "getfenv", "getmetatable", "ipairs", "load",
	"loadfile", "loadstring", "module", "newproxy", "next", "pairs", "pcall", "print", "rawequal",
	"rawget", "rawset", "require", "select", "setfenv", "setmetatable", "tonumber", "tostring",
	"type", "unpack", "xpcall",
	"channel", "coroutine", "debug", "io", "math", "os", "package", "string", "table",
}

// luaAPI returns the names reachable from the globals of a state opened with
// bindings.Modules() that need a doc entry: "handle", "json.encode",
// "json.null", "args", and methods "cache:incr" of streamctl userdata types.
// A gopher-lua builtin counts only when streamctl replaced it (print) or
// added a field to its table.
func luaAPI(t *testing.T) []string {
	t.Helper()
	s, err := lua.NewStandaloneState(bindings.Modules(bindings.Deps{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	plain := glua.NewState()
	t.Cleanup(plain.Close)

	builtin := map[string]bool{}
	for _, n := range gopherLuaGlobals {
		builtin[n] = true
	}
	var names []string
	s.L.G.Global.ForEach(func(k, v glua.LValue) {
		name, ok := k.(glua.LString)
		if !ok {
			return
		}
		n := string(name)
		if n == lua.ConcatFunc {
			return // what compiled concatenations call, not API
		}
		if builtin[n] {
			orig := plain.GetGlobal(n)
			switch x := v.(type) {
			case *glua.LFunction:
				if !sameFunction(x, orig) {
					names = append(names, n) // replaced, like print
				}
			case *glua.LTable:
				ot, _ := orig.(*glua.LTable)
				x.ForEach(func(fk, fv glua.LValue) {
					if ot == nil || n == "_G" || n == "package" {
						return
					}
					if ov := ot.RawGet(fk); ov == glua.LNil {
						names = append(names, n+"."+fk.String()) // added, like string.split
					} else if f, ok := fv.(*glua.LFunction); ok && !sameFunction(f, ov) {
						names = append(names, n+"."+fk.String())
					}
				})
			}
			return
		}
		switch x := v.(type) {
		case *glua.LTable:
			var fields []string
			hasFunc := false
			x.ForEach(func(fk, fv glua.LValue) {
				if fs, ok := fk.(glua.LString); ok {
					fields = append(fields, n+"."+string(fs))
				}
				if fv.Type() == glua.LTFunction {
					hasFunc = true
				}
			})
			if hasFunc {
				names = append(names, fields...) // a module table: json, time, log, pipe
			} else {
				names = append(names, n) // a value such as args
			}
		default:
			names = append(names, n)
		}
	})
	// Methods of userdata classes: registry metatables "streamctl.cache"
	// whose __index table holds the methods, documented as "cache:get".
	s.L.G.Registry.ForEach(func(k, v glua.LValue) {
		key, ok := k.(glua.LString)
		mt, isTable := v.(*glua.LTable)
		if !ok || !isTable || !strings.HasPrefix(string(key), "streamctl.") || key == "streamctl.windower" { // windower: internal to window.* operators
			return
		}
		class := strings.TrimPrefix(string(key), "streamctl.")
		if idx, ok := mt.RawGetString("__index").(*glua.LTable); ok {
			idx.ForEach(func(mk, mv glua.LValue) {
				if mv.Type() == glua.LTFunction {
					names = append(names, class+":"+mk.String())
				}
			})
		}
	})
	sort.Strings(names)
	return names
}

// sameFunction reports whether f is the builtin orig of a plain state.
func sameFunction(f *glua.LFunction, orig glua.LValue) bool {
	o, ok := orig.(*glua.LFunction)
	if !ok || f.IsG != o.IsG || !f.IsG {
		return false
	}
	return reflect.ValueOf(f.GFunction).Pointer() == reflect.ValueOf(o.GFunction).Pointer()
}

func TestDocsCoverLuaAPI(t *testing.T) {
	api := luaAPI(t)
	if len(api) < 30 {
		t.Fatalf("found only %d Lua names (%v): is the walk broken?", len(api), api)
	}
	documented := map[string]bool{}
	for _, d := range bindings.Docs() {
		documented[d.Name] = true
	}
	isTestFile := func(d bindings.Doc) bool { return d.Module == bindings.TestModule }
	exists := map[string]bool{}
	for _, n := range api {
		exists[n] = true
		if !documented[n] {
			t.Errorf("%s exists in Lua but has no entry in its module's MODULE_doc.go", n)
		}
	}
	for _, d := range bindings.Docs() {
		if !exists[d.Name] && !isTestFile(d) {
			t.Errorf("the reference documents %s, which no Lua state has", d.Name)
		}
	}
}

func TestDocEntries(t *testing.T) {
	modules := map[string]bool{}
	for _, m := range bindings.Modules(bindings.Deps{}) {
		modules[m.Name()] = true
	}
	docModules := map[string]int{}
	modules[bindings.TestModule] = true // streamctl test's test files (package streamtest)
	for _, m := range bindings.DocModules() {
		if !modules[m.Name] {
			t.Errorf("DocModules: %q is not a module of bindings.Modules()", m.Name)
		}
		docModules[m.Name] = 0
	}
	seen := map[string]bool{}
	for _, d := range bindings.Docs() {
		seen[d.Name] = true
	}
	contexts := regexp.MustCompile(`^(top level|handler|hook|pipe|any worker|worker|test file)$`)
	for _, d := range bindings.Docs() {
		if _, ok := docModules[d.Module]; !ok {
			t.Errorf("%s: module %q is not in DocModules()", d.Name, d.Module)
		}
		docModules[d.Module]++
		if d.Syntax == "" || d.Context == "" || d.Text == "" || d.Example == "" {
			t.Errorf("%s: syntax, context, text and example are all required", d.Name)
		}
		shown := d.Name
		if i := strings.Index(shown, ":"); i >= 0 {
			shown = shown[i:] // c:incr for cache:incr
		}
		if !strings.Contains(d.Syntax, shown) {
			t.Errorf("%s: syntax %q does not show the name", d.Name, d.Syntax)
		}
		// The contexts before any "(note)", separated by , and ;.
		ctx := d.Context
		if i := strings.Index(ctx, "("); i >= 0 {
			ctx = ctx[:i]
		}
		for _, c := range strings.FieldsFunc(ctx, func(r rune) bool { return r == ',' || r == ';' }) {
			if !contexts.MatchString(strings.TrimSpace(c)) {
				t.Errorf("%s: context %q: use top level, handler, hook, pipe, worker", d.Name, c)
			}
		}
		first := d.Text
		if loc := sentenceEnd.FindStringIndex(first); loc != nil {
			first = first[:loc[0]+1]
		}
		if !strings.Contains(strings.ToLower(first), "wait") {
			t.Errorf("%s: the first sentence must say whether the call waits: %q", d.Name, first)
		}
		for _, s := range d.SeeAlso {
			if !seen[s] {
				t.Errorf("%s: see also %q has no entry", d.Name, s)
			}
		}
	}
	for m, n := range docModules {
		if n == 0 {
			t.Errorf("module %s has no entries", m)
		}
	}
	names := bindings.DocNames()
	for i := 1; i < len(names); i++ {
		if names[i] == names[i-1] {
			t.Errorf("two entries for %s", names[i])
		}
	}
}

// sentenceEnd matches the end of a sentence (not of "...").
var sentenceEnd = regexp.MustCompile(`[^.]\.(\s|$)`)

var (
	brokerOnce sync.Once
	brokerAddr string
	brokerErr  error
)

// docsBroker starts one in-process dev broker (kfake) for the examples of
// the kafka module, shared by the whole test binary.
func docsBroker(t *testing.T) string {
	t.Helper()
	brokerOnce.Do(func() {
		b, err := kafka.StartDevBroker(kafka.DevBrokerConfig{Addr: "127.0.0.1:0", Partitions: 1})
		if err != nil {
			brokerErr = err
			return
		}
		brokerAddr = b.Addr() // closed when the test binary exits
	})
	if brokerErr != nil {
		t.Fatalf("dev broker: %v", brokerErr)
	}
	return brokerAddr
}

// runScript runs src in a fresh directory with an empty stdin and returns
// stdout and stderr.
func runScript(t *testing.T, name, src string) (string, string, error) {
	t.Helper()
	t.Chdir(t.TempDir())
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rt := lua.New(lua.Options{
		Script:  name,
		Source:  []byte(src),
		Modules: bindings.Modules(bindings.Deps{StateDir: ".streamctl", Brokers: []string{docsBroker(t)}}),
		Stdin:   strings.NewReader(""),
		Stdout:  &stdout,
		Stderr:  &stderr,
	})
	err := rt.Run(ctx)
	if ctx.Err() != nil {
		err = errors.Join(err, errors.New("did not end within 20s: examples must be finite"))
	}
	return stdout.String(), stderr.String(), err
}

func TestDocExamples(t *testing.T) {
	for _, d := range bindings.Docs() {
		if d.Module == bindings.TestModule {
			continue // test files: package streamtest runs these
		}
		t.Run(d.Name, func(t *testing.T) {
			stdout, stderr, err := runScript(t, "example.lua", d.Example)
			if err != nil {
				t.Fatalf("example of %s: %v\nstdout:\n%s\nstderr:\n%s", d.Name, err, stdout, stderr)
			}
		})
	}
}

// luaBlock matches fenced Lua code in Markdown.
var luaBlock = regexp.MustCompile("(?s)```lua\n(.*?)```")

// TestReadmeExamples runs every ```lua block of README.md: the README only
// shows code that works.
func TestReadmeExamples(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := luaBlock.FindAllStringSubmatch(string(text), -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no ```lua blocks")
	}
	for i, b := range blocks {
		src := b[1]
		line := 1 + strings.Count(string(text)[:strings.Index(string(text), b[0])], "\n")
		t.Run(strings.SplitN(strings.TrimSpace(src), "\n", 2)[0], func(t *testing.T) {
			stdout, stderr, err := runScript(t, "readme.lua", src)
			if err != nil {
				t.Fatalf("README.md block %d (line %d): %v\nstdout:\n%s\nstderr:\n%s", i+1, line, err, stdout, stderr)
			}
		})
	}
}

func TestReferenceUpToDate(t *testing.T) {
	want := bindings.ReferenceMarkdown()
	if *updateReference {
		if err := os.WriteFile(referencePath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatalf("%v (generate it: go generate ./bindings)", err)
	}
	if string(got) != want {
		t.Errorf("docs/reference.md is stale: run go generate ./bindings")
	}
}

func TestDocMarkdown(t *testing.T) {
	for _, tt := range []struct{ topic, want, notWant string }{
		{"json", "### json.encode\n\n**syntax:** `text = json.encode(value)`", ""},
		{"sinks", "### file\n", ""},
		{"sources", "### file\n", "### stdout"},
		{"handle", "### handle\n", "### emit"},
		{"json.null", "### json.null\n", "### json.encode"},
	} {
		t.Run(tt.topic, func(t *testing.T) {
			got, err := bindings.DocMarkdown(tt.topic)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("missing %q in:\n%s", tt.want, got)
			}
			if tt.notWant != "" && strings.Contains(got, tt.notWant) {
				t.Errorf("unexpected %q in:\n%s", tt.notWant, got)
			}
		})
	}
	_, err := bindings.DocMarkdown("jsno")
	want := `no module or function "jsno" (modules: core, sources, sinks, codec, json, time, log, pipe, cache, kafka, state, http, window, checkpoint, test; or a function name such as handle or json.encode)`
	if err == nil || err.Error() != want {
		t.Errorf("unknown topic: got %v, want %s", err, want)
	}
	index := bindings.IndexMarkdown()
	for _, c := range bindings.Concepts() {
		if !strings.Contains(index, "## "+c.Title+"\n") {
			t.Errorf("index lacks the concept page %q", c.Title)
		}
	}
	if !strings.Contains(index, "- `json`: json.encode, json.decode, json.null, json.array\n") {
		t.Errorf("index lacks the json module line:\n%s", index)
	}
}
