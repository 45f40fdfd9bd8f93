package bindings_test

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/streamctl/streamctl/bindings"
)

// luaBuiltinTypes are the types lua-language-server knows.
var luaBuiltinTypes = map[string]bool{"any": true, "nil": true, "boolean": true, "string": true, "number": true,
	"integer": true, "function": true, "table": true, "thread": true, "userdata": true}

// typeNames returns the names a type expression uses (not literals).
func typeNames(t string) []string {
	t = regexp.MustCompile(`"[^"]*"`).ReplaceAllString(t, "")
	t = regexp.MustCompile(`\b[a-z_]+\??:`).ReplaceAllString(t, "") // parameter and field names
	return regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_.]*`).FindAllString(t, -1)
}

// TestTypesCoverDocs: every documented entry has a type that names only
// known classes, and `streamctl types` defines every documented function,
// value, class and option.
func TestTypesCoverDocs(t *testing.T) {
	classes := map[string]bool{}
	for _, c := range bindings.Classes() {
		if classes[c.Name] {
			t.Errorf("two classes %s", c.Name)
		}
		classes[c.Name] = true
	}
	checkType := func(where, typ string) {
		for _, n := range typeNames(typ) {
			if n != "fun" && !luaBuiltinTypes[n] && !classes[n] {
				t.Errorf("%s: type %q names %s, which is no class", where, typ, n)
			}
		}
	}
	out := bindings.TypesLua()
	for _, d := range bindings.Docs() {
		if d.Type == "" {
			t.Errorf("%s has no Type: add one to its entry (lua-language-server notation)", d.Name)
			continue
		}
		checkType(d.Name, d.Type)
		for _, o := range d.Overloads {
			checkType(d.Name, o)
		}
		if _, isFunc := bindings.ParseSignature(d.Type); isFunc {
			name := d.Name
			if prefix, method, ok := strings.Cut(d.Name, ":"); ok {
				name = strings.ReplaceAll(bindings.ObjectClass(prefix), ".", "_") + ":" + method
			}
			if !strings.Contains(out, "\nfunction "+name+"(") {
				t.Errorf("types lacks function %s", name)
			}
		} else if !strings.Contains(out, "\n"+d.Name+" = nil\n") {
			t.Errorf("types lacks value %s", d.Name)
		}
	}
	for _, c := range bindings.Classes() {
		for _, f := range c.Fields {
			checkType(c.Name+"."+f.Name, f.Type)
		}
		decl := "---@class " + c.Name
		if c.Alias != "" {
			decl = "---@alias " + c.Name + " "
			checkType(c.Name, c.Alias)
		}
		i := strings.Index(out, decl)
		if i < 0 {
			t.Errorf("types lacks %s", decl)
			continue
		}
		for _, f := range c.Fields {
			if !strings.Contains(out[i:], "---@field "+f.Name+" ") && !strings.Contains(out[i:], fmt.Sprintf("---@field [%q] ", f.Name)) {
				t.Errorf("types lacks the field %s of %s", f.Name, c.Name)
			}
		}
	}
	if !strings.HasPrefix(out, "---@meta") {
		t.Error("types does not start with ---@meta")
	}
}

// optionCalls call each function taking an option table with OPTS in its
// place, in a script: the error lists the options the binding accepts.
var optionCalls = map[string]string{
	"handle.Options":         `handle(iterate{}, OPTS, function() end)`,
	"stdin.Options":          `stdin(OPTS)`,
	"file.Options":           `file(OPTS)`,
	"timer.Options":          `timer(OPTS)`,
	"iterate.Options":        `iterate({}, OPTS)`,
	"exec.Options":           `exec(OPTS)`,
	"stdout.Options":         `stdout(OPTS)`,
	"avro.Options":           `avro(OPTS)`,
	"pipe.BatchOptions":      `pipe.batch(OPTS)`,
	"pipe.DedupeOptions":     `pipe.dedupe(OPTS)`,
	"pipe.ThrottleOptions":   `pipe.throttle(OPTS)`,
	"cache.OpenOptions":      `cache.open("x", OPTS)`,
	"cache.PutOptions":       `cache.open("y", {memory = true}):put("k", 1, OPTS)`,
	"cache.RangeOptions":     `cache.open("z", {memory = true}):range(OPTS)`,
	"kafka.TopicOptions":     `kafka.topic("t", OPTS)`,
	"kafka.SASL":             `kafka.topic("t", {sasl = OPTS})`,
	"kafka.TLS":              `kafka.topic("t", {tls = OPTS})`,
	"http.RequestOptions":    `http.get("http://127.0.0.1:1/", OPTS)`,
	"http.StreamOptions":     `http.stream("http://127.0.0.1:1/", OPTS)`,
	"http.ServeOptions":      `http.serve(OPTS)`,
	"window.TumblingOptions": `window.tumbling(OPTS)`,
	"window.HoppingOptions":  `window.hopping(OPTS)`,
	"window.SlidingOptions":  `window.sliding(OPTS)`,
	"window.SessionOptions":  `window.session(OPTS)`,
	"window.Aggregator":      `window.tumbling{size = 1, agg = OPTS}`,
	"checkpoint.Options":     `checkpoint.new("c", OPTS)`,
	"checkpoint.Dependency":  `checkpoint.new("c", {dependencies = {OPTS}})`,
}

// TestOptionClassesMatchBindings: the fields of each option class are
// exactly the options its binding accepts (its "unknown option" error
// lists them), so types, check and docs never disagree with the code.
func TestOptionClassesMatchBindings(t *testing.T) {
	known := regexp.MustCompile(`unknown option "__bogus" \(known: ([a-z_, ]+)\)`)
	for _, c := range bindings.Classes() {
		if c.Name == "window.Options" || !strings.HasSuffix(c.Name, "Options") && optionCalls[c.Name] == "" {
			continue // window.Options: the fields every kind has
		}
		call, ok := optionCalls[c.Name]
		if !ok {
			t.Errorf("%s: add a call to optionCalls", c.Name)
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			src := fmt.Sprintf("local ok, err = pcall(function() %s end)\nprint(tostring(err))\n", strings.Replace(call, "OPTS", "{__bogus = 1}", 1))
			stdout, stderr, err := runScript(t, "options.lua", src)
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			m := known.FindStringSubmatch(stdout)
			if m == nil {
				t.Fatalf("no unknown-option error: %s", stdout)
			}
			got := strings.Split(m[1], ", ")
			fields, _ := bindings.ClassFields(c.Name)
			var want []string
			for _, f := range fields {
				want = append(want, f.Name)
			}
			sort.Strings(want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("the binding accepts %v, the class %s documents %v", got, c.Name, want)
			}
		})
	}
}

func TestParseSignature(t *testing.T) {
	sig, ok := bindings.ParseSignature("fun(key: streamctl.key, fn: fun(k: any, v: any): boolean, opts?: table<string, any>): fun(): a, b")
	if !ok || len(sig.Params) != 3 || sig.Params[1].Type != "fun(k: any, v: any): boolean" || !sig.Params[2].Optional ||
		sig.Params[2].Type != "table<string, any>" || len(sig.Returns) != 1 || sig.Returns[0] != "fun(): a, b" {
		t.Errorf("got %+v", sig)
	}
	if _, ok := bindings.ParseSignature("streamctl.null"); ok {
		t.Error("a value parsed as a function")
	}
}
