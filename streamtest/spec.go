package streamtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/lua"
)

// DefaultStart is where a test's virtual clock starts unless it says
// otherwise (start =).
var DefaultStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultTimeout bounds a test's run in real time unless it says otherwise
// (timeout =): a job that never ends (a timer without count and no run_for)
// fails after it.
const DefaultTimeout = 30 * time.Second

// Case is one test(name, spec) of a test file.
type Case struct {
	File string // the test file, as given
	Line int    // of the test() call
	Name string
	// Script is the path of the script under test, relative to the test
	// file's directory; Source its text.
	Script string
	Source []byte
	// Set and Positional fill the script's args.
	Set        [][2]string
	Positional []string
	Env        map[string]string
	Start      time.Time
	RunFor     time.Duration // 0: until the job ends by itself
	Timeout    time.Duration // real time
	Stdin      []byte
	Inputs     []Input // in the order of their names
	HTTP       map[string]Response
	Expect     Expect
}

// Input is the fixture of one source: inputs["kafka:orders"] or
// inputs["http:https://..."].
type Input struct {
	Name       string // "kafka:orders"
	Records    []InputRecord
	Partitions int32         // Kafka: default 1
	CloseAt    time.Duration // after the start; 0: when the job is idle
}

// InputRecord is one fixture record.
type InputRecord struct {
	Value      any
	Raw        []byte // Kafka: the message's bytes, not encoded; HasRaw
	HasRaw     bool
	Key        any
	Headers    map[string]string
	Partition  int32
	At         time.Duration // arrival, after the start
	Time       time.Time     // event time; zero: the arrival time
	Event, ID  string        // SSE
	HasEventID bool
}

// Response is the answer to an HTTP request of the script.
type Response struct {
	Status  int
	Body    []byte
	Headers map[string]string
}

// Expect is what the test checks.
type Expect struct {
	Outputs []Output                  // per sink, in the order of their names
	Caches  map[string][]ExpectedPair // per cache: its whole content
	// Error, when set, is text the job's error must contain: the job must
	// fail.
	Error string
}

// Output is the records one sink must have received, in order.
type Output struct {
	Sink string // "stdout", "file:out.ndjson", "kafka:totals", "http:URL"
	Want []Expected
}

// Expected is one expected output: a value, or, made with record{}, a value
// with a key, headers or a partition.
type Expected struct {
	Value     any
	HasValue  bool
	Key       any
	HasKey    bool
	Headers   map[string]string
	Partition int32
	HasPart   bool
	Record    bool // made with record{}
}

// ExpectedPair is one entry a cache must hold.
type ExpectedPair struct{ Key, Value any }

// recordType is the metatable name of record{} tables in test files.
const recordType = "streamtest.record"

// Load reads the test file path: it runs it in a Lua state with test and
// record (the test module) and the json, time and log modules, and returns
// its test() calls.
func Load(path string) ([]*Case, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := lua.NewStandaloneState(bindings.PipeModules(nil))
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var cases []*Case
	openTestModule(s, path, &cases)
	fn, err := s.Load(src, path)
	if err != nil {
		return nil, err
	}
	if _, err := s.CallValues(fn, 0); err != nil {
		return nil, err
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("%s: no test(name, spec) calls", path)
	}
	return cases, nil
}

// TestModuleNames are the globals a test file has besides the json, time
// and log modules and Lua's own: the "test" module of the reference.
var TestModuleNames = []string{"record", "test"}

// openTestModule installs test and record in s; test() appends to cases.
func openTestModule(s *lua.State, path string, cases *[]*Case) {
	L := s.L
	mt := L.NewTypeMetatable(recordType)
	L.SetField(mt, "__name", glua.LString("record"))
	L.SetGlobal("record", L.NewFunction(func(L *glua.LState) int {
		a := lua.Args(L, "record")
		t := a.Table(1, "fields")
		a.CheckOptions(t, "value", "raw", "key", "headers", "partition", "at", "time", "event", "id")
		r := L.NewTable()
		t.ForEach(func(k, v glua.LValue) { r.RawSet(k, v) })
		r.Metatable = mt
		L.Push(r)
		return 1
	}))
	L.SetGlobal("test", L.NewFunction(func(L *glua.LState) int {
		a := lua.Args(L, "test")
		name := a.String(1, "name")
		o := a.Options(2, "script", "source", "args", "env", "start", "run_for", "timeout", "stdin", "inputs", "http", "expect")
		line := 0
		if dbg, ok := L.GetStack(1); ok {
			if _, err := L.GetInfo("l", dbg, glua.LNil); err == nil {
				line = dbg.CurrentLine
			}
		}
		c := &Case{File: path, Line: line, Name: name, Start: DefaultStart, Timeout: DefaultTimeout}
		p := &parser{s: s, a: a}
		p.caseOptions(c, o)
		*cases = append(*cases, c)
		return 0
	}))
}

// parser converts a test() spec, raising "test: ..." errors at the call.
type parser struct {
	s *lua.State
	a *lua.ArgChecker
}

func (p *parser) caseOptions(c *Case, o *lua.OptionTable) {
	a := p.a
	c.Script = o.String("script", "")
	if src := o.String("source", ""); src != "" {
		if c.Script != "" {
			a.Raise("give script or source, not both")
		}
		c.Source = []byte(src)
	} else if c.Script == "" {
		base := filepath.Base(c.File)
		if !strings.HasSuffix(base, "_test.lua") {
			a.Raise("script is required: the file is not named SCRIPT_test.lua")
		}
		c.Script = strings.TrimSuffix(base, "_test.lua") + ".lua"
	}
	if t := o.Table("args"); t != nil {
		lua.ForEachOrdered(t, func(k, v glua.LValue) {
			val := p.scalar("args", v)
			if _, isNum := k.(glua.LNumber); isNum {
				c.Positional = append(c.Positional, val)
				return
			}
			c.Set = append(c.Set, [2]string{k.String(), val})
		})
	}
	if t := o.Table("env"); t != nil {
		c.Env = map[string]string{}
		lua.ForEachOrdered(t, func(k, v glua.LValue) { c.Env[k.String()] = p.scalar("env", v) })
	}
	if o.Has("start") {
		c.Start = p.time("start", o.Get("start"))
	}
	c.RunFor = o.Duration("run_for", 0)
	c.Timeout = o.Duration("timeout", DefaultTimeout)
	switch v := o.Get("stdin").(type) {
	case *glua.LNilType:
	case glua.LString:
		c.Stdin = []byte(v)
	case *glua.LTable:
		var b strings.Builder
		for i := 1; i <= v.Len(); i++ {
			b.WriteString(p.scalar("stdin", v.RawGetInt(i)))
			b.WriteByte('\n')
		}
		c.Stdin = []byte(b.String())
	default:
		a.Raise("stdin must be a string or a list of lines, got %s", lua.TypeName(v))
	}
	if t := o.Table("inputs"); t != nil {
		lua.ForEachOrdered(t, func(k, v glua.LValue) { c.Inputs = append(c.Inputs, p.input(k, v)) })
	}
	if t := o.Table("http"); t != nil {
		c.HTTP = map[string]Response{}
		lua.ForEachOrdered(t, func(k, v glua.LValue) { c.HTTP[k.String()] = p.response(k.String(), v) })
	}
	if t := o.Table("expect"); t != nil {
		p.expect(c, t)
	}
}

func (p *parser) scalar(what string, v glua.LValue) string {
	switch x := v.(type) {
	case glua.LString:
		return string(x)
	case glua.LNumber, glua.LBool:
		return x.String()
	}
	p.a.Raise("%s: values must be strings or numbers, got %s", what, lua.TypeName(v))
	return ""
}

// time reads a time: Unix seconds or a string time.parse accepts.
func (p *parser) time(what string, v glua.LValue) time.Time {
	switch x := v.(type) {
	case glua.LNumber:
		return unixTime(float64(x))
	case glua.LString:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
			if t, err := time.Parse(layout, string(x)); err == nil {
				return t
			}
		}
		p.a.Raise("%s: %q is not RFC 3339 or YYYY-MM-DD HH:MM:SS", what, string(x))
	}
	p.a.Raise("%s must be a time (Unix seconds or \"2024-05-01T10:00:00Z\"), got %s", what, lua.TypeName(v))
	return time.Time{}
}

func unixTime(secs float64) time.Time {
	return time.Unix(0, int64(secs*1e9)).UTC()
}

func (p *parser) duration(what string, v glua.LValue) time.Duration {
	d, err := lua.ToDuration(v)
	if err != nil {
		p.a.Raise("%s %v", what, err)
	}
	return d
}

func (p *parser) value(what string, v glua.LValue) any {
	x, err := p.s.FromLua(v)
	if err != nil {
		p.a.Raise("%s: %v", what, err)
	}
	return x
}

// isRecord reports whether v was made with record{}.
func isRecord(v glua.LValue) (*glua.LTable, bool) {
	t, ok := v.(*glua.LTable)
	if !ok {
		return nil, false
	}
	mt, ok := t.Metatable.(*glua.LTable)
	return t, ok && mt.RawGetString("__name") == glua.LString("record")
}

func (p *parser) input(k, v glua.LValue) Input {
	name := k.String()
	if !strings.HasPrefix(name, "kafka:") && !strings.HasPrefix(name, "http:") {
		p.a.Raise("inputs: %q: name a source kafka:TOPIC or http:URL (stdin is stdin =, files are read from disk)", name)
	}
	t, ok := v.(*glua.LTable)
	if !ok {
		p.a.Raise("inputs[%q] must be a list of records, got %s", name, lua.TypeName(v))
	}
	in := Input{Name: name, Partitions: 1}
	what := fmt.Sprintf("inputs[%q]", name)
	lua.ForEachOrdered(t, func(k, v glua.LValue) {
		switch k.String() {
		case "partitions":
			n, ok := v.(glua.LNumber)
			if !ok || n < 1 || n != glua.LNumber(int32(n)) {
				p.a.Raise("%s.partitions must be a whole number >= 1, got %s", what, lua.TypeName(v))
			}
			in.Partitions = int32(n)
			return
		case "close_at":
			in.CloseAt = p.duration(what+".close_at", v)
			return
		}
		if _, ok := k.(glua.LNumber); !ok {
			p.a.Raise("%s: unknown field %q (known: partitions, close_at, and the records as a list)", what, k.String())
		}
	})
	for i := 1; i <= t.Len(); i++ {
		in.Records = append(in.Records, p.inputRecord(fmt.Sprintf("%s[%d]", what, i), t.RawGetInt(i)))
	}
	return in
}

func (p *parser) inputRecord(what string, v glua.LValue) InputRecord {
	r, ok := isRecord(v)
	if !ok {
		return InputRecord{Value: p.value(what, v)}
	}
	var ir InputRecord
	ir.Value = p.value(what+".value", r.RawGetString("value"))
	if raw, ok := r.RawGetString("raw").(glua.LString); ok {
		ir.Raw, ir.HasRaw = []byte(raw), true
	}
	if k := r.RawGetString("key"); k != glua.LNil {
		ir.Key = p.value(what+".key", k)
	}
	ir.Headers = p.headers(what, r.RawGetString("headers"))
	if n, ok := r.RawGetString("partition").(glua.LNumber); ok {
		ir.Partition = int32(n)
	}
	if at := r.RawGetString("at"); at != glua.LNil {
		ir.At = p.duration(what+".at", at)
	}
	if tv := r.RawGetString("time"); tv != glua.LNil {
		ir.Time = p.time(what+".time", tv)
	}
	ev, id := r.RawGetString("event"), r.RawGetString("id")
	if ev != glua.LNil || id != glua.LNil {
		ir.HasEventID = true
		ir.Event, ir.ID = "message", ""
		if ev != glua.LNil {
			ir.Event = ev.String()
		}
		if id != glua.LNil {
			ir.ID = id.String()
		}
	}
	return ir
}

func (p *parser) headers(what string, v glua.LValue) map[string]string {
	switch h := v.(type) {
	case *glua.LNilType:
		return nil
	case *glua.LTable:
		out := map[string]string{}
		lua.ForEachOrdered(h, func(k, v glua.LValue) { out[k.String()] = p.scalar(what+".headers", v) })
		return out
	}
	p.a.Raise("%s.headers must be a table of strings, got %s", what, lua.TypeName(v))
	return nil
}

func (p *parser) response(url string, v glua.LValue) Response {
	what := fmt.Sprintf("http[%q]", url)
	t, ok := v.(*glua.LTable)
	if !ok {
		p.a.Raise("%s must be a response {status =, body =, headers =}, got %s", what, lua.TypeName(v))
	}
	o := p.a.CheckOptions(t, "status", "body", "headers")
	r := Response{Status: o.Int("status", 200, 100), Headers: p.headers(what, o.Get("headers"))}
	switch b := o.Get("body").(type) {
	case *glua.LNilType:
	case glua.LString:
		r.Body = []byte(b)
	default:
		j, err := p.s.AppendJSON(nil, b)
		if err != nil {
			p.a.Raise("%s.body: %v", what, err)
		}
		r.Body = j
	}
	return r
}

func (p *parser) expect(c *Case, t *glua.LTable) {
	lua.ForEachOrdered(t, func(k, v glua.LValue) {
		name := k.String()
		switch {
		case name == "error":
			c.Expect.Error = p.scalar("expect.error", v)
		case name == "caches":
			ct, ok := v.(*glua.LTable)
			if !ok {
				p.a.Raise("expect.caches must map cache names to their contents, got %s", lua.TypeName(v))
			}
			c.Expect.Caches = map[string][]ExpectedPair{}
			lua.ForEachOrdered(ct, func(name, content glua.LValue) {
				what := fmt.Sprintf("expect.caches[%q]", name.String())
				entries, ok := content.(*glua.LTable)
				if !ok {
					p.a.Raise("%s must be a table of key = value, got %s", what, lua.TypeName(content))
				}
				pairs := []ExpectedPair{}
				lua.ForEachOrdered(entries, func(k, v glua.LValue) {
					pairs = append(pairs, ExpectedPair{Key: p.value(what, k), Value: p.value(what, v)})
				})
				c.Expect.Caches[name.String()] = pairs
			})
		case name == "stdout" || name == "stderr" || strings.HasPrefix(name, "file:") ||
			strings.HasPrefix(name, "kafka:") || strings.HasPrefix(name, "http:"):
			c.Expect.Outputs = append(c.Expect.Outputs, Output{Sink: name, Want: p.outputs(name, v)})
		default:
			p.a.Raise("expect: unknown key %q (known: stdout, stderr, file:PATH, kafka:TOPIC, http:URL, caches, error)", name)
		}
	})
}

func (p *parser) outputs(sink string, v glua.LValue) []Expected {
	what := fmt.Sprintf("expect[%q]", sink)
	t, ok := v.(*glua.LTable)
	if !ok {
		p.a.Raise("%s must be a list of outputs, got %s", what, lua.TypeName(v))
	}
	out := []Expected{}
	for i := 1; i <= t.Len(); i++ {
		item := t.RawGetInt(i)
		w := fmt.Sprintf("%s[%d]", what, i)
		r, isRec := isRecord(item)
		if !isRec {
			out = append(out, Expected{Value: p.value(w, item), HasValue: true})
			continue
		}
		e := Expected{Record: true}
		if v := r.RawGetString("value"); v != glua.LNil {
			e.Value, e.HasValue = p.value(w+".value", v), true
		}
		if k := r.RawGetString("key"); k != glua.LNil {
			e.Key, e.HasKey = p.value(w+".key", k), true
		}
		e.Headers = p.headers(w, r.RawGetString("headers"))
		if n, ok := r.RawGetString("partition").(glua.LNumber); ok {
			e.Partition, e.HasPart = int32(n), true
		}
		out = append(out, e)
	}
	if n := t.Len(); countKeys(t) != n {
		p.a.Raise("%s must be a list (keys 1..n)", what)
	}
	return out
}

func countKeys(t *glua.LTable) int {
	n := 0
	t.ForEach(func(glua.LValue, glua.LValue) { n++ })
	return n
}

// CheckModules are the modules of a test file, for `streamctl check`: the
// json, time and log modules, and test and record.
func CheckModules() []lua.Module { return append(bindings.PipeModules(nil), testFileModule{}) }

// testFileModule installs test and record; what test() is given is not kept.
type testFileModule struct{}

func (testFileModule) Name() string { return bindings.TestModule }

func (testFileModule) Open(s *lua.State) error {
	var cases []*Case
	openTestModule(s, "", &cases)
	return nil
}
