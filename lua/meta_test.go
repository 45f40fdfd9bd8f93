package lua_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/lua"
)

// TestMetaFields: the bytecode check that lets a handler get one refilled
// meta table (meta.go) accepts constant field reads only.
func TestMetaFields(t *testing.T) {
	for _, tt := range []struct {
		name, fn string
		fields   string // comma-separated; "-" when meta escapes
	}{
		{"key", `function(v, meta) return v, meta.key end`, "key"},
		{"several", `function(v, meta) if meta.partition == 1 then return meta.offset end return meta.key, meta.key end`, "partition,offset,key"},
		{"unused", `function(v, meta) return v end`, ""},
		{"tested", `function(v, meta) if meta then return 1 end end`, ""},
		{"upvalues and globals", `function(v, meta) n = (n or 0) + 1 print(n, v) return meta.topic end`, "topic"},
		{"returned", `function(v, meta) return meta end`, "-"},
		{"returned second", `function(v, meta) return v, meta end`, "-"},
		{"stored in a global", `function(v, meta) last = meta end`, "-"},
		{"stored in a table", `function(v, meta) local t = {} t.m = meta return t end`, "-"},
		{"in a constructor", `function(v, meta) return {meta} end`, "-"},
		{"passed", `function(v, meta) print(meta) end`, "-"},
		{"method", `function(v, meta) return meta:get() end`, "-"},
		{"copied", `function(v, meta) local m = meta return m.key end`, "-"},
		{"captured", `function(v, meta) return function() return meta.key end end`, "-"},
		{"computed key", `function(v, meta) return meta[v] end`, "-"},
		{"assigned", `function(v, meta) meta = {} return meta.key end`, "-"},
		{"field written", `function(v, meta) meta.seen = true end`, "-"},
		{"compared", `function(v, meta) return meta == v end`, "-"},
		{"concatenated", `function(v, meta) return "x" .. meta end`, "-"},
		{"vararg", `function(v, meta, ...) return ... end`, ""}, // `...` holds what follows meta
		{"in a loop", `function(v, meta) for i = 1, 3 do v = v .. meta.key end return v end`, "key"},
		{"one parameter", `function(v) return v end`, "-"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			L := glua.NewState()
			defer L.Close()
			if err := L.DoString("f = " + tt.fn); err != nil {
				t.Fatal(err)
			}
			fields, ok := lua.MetaFields(L.GetGlobal("f").(*glua.LFunction))
			got := strings.Join(fields, ",")
			if !ok {
				got = "-"
			}
			if got != tt.fields {
				t.Fatalf("got %q, want %q", got, tt.fields)
			}
		})
	}
}

// TestMetaReused: handlers that read fields of meta see each record's own,
// whether they get the refilled table or, keeping meta, a table per record.
func TestMetaReused(t *testing.T) {
	for _, tt := range []struct{ name, script, want string }{
		{"read", `handle(keyedsrc, {sink = keyedsink}, function(v, meta) out(meta.key .. "@" .. meta.offset) end)`,
			"k0@0 k1@1 k2@2 k3@3"},
		{"kept", `local kept = {}
handle(keyedsrc, {sink = keyedsink}, function(v, meta) kept[#kept + 1] = meta end)
on_stop(function() for _, m in ipairs(kept) do out(m.key .. "@" .. m.offset .. "/" .. m.partition) end end)`,
			"k0@0/0 k1@1/1 k2@2/2 k3@3/0"},
		{"not read", `handle(keyedsrc, {sink = keyedsink}, function(v, meta) out(tostring(meta.missing)) end)`,
			"nil nil nil nil"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			src, sink := &keyedSource{n: 4}, &copySink{}
			m := keyedModule{src: src, sink: &sinkProvider{s: sink}}
			out := outModule{out: &got}
			var errb bytes.Buffer
			rt := lua.New(lua.Options{Script: "meta.lua", Modules: append(bindings.Modules(bindings.Deps{}), m, out),
				Stdout: io.Discard, Stderr: &errb, Source: []byte(tt.script)})
			if err := rt.Run(context.Background()); err != nil {
				t.Fatalf("%v\n%s", err, errb.String())
			}
			if strings.Join(got, " ") != tt.want {
				t.Fatalf("got %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}

// outModule collects out(s) calls.
type outModule struct{ out *[]string }

func (outModule) Name() string { return "out" }
func (m outModule) Open(s *lua.State) error {
	s.L.SetGlobal("out", s.L.NewFunction(func(L *glua.LState) int {
		*m.out = append(*m.out, L.CheckString(1))
		return 0
	}))
	return nil
}

// TestFieldGetter: only `function(e, ...) return e.NAME end` is a field
// getter, which the window operator may replace with a raw field read.
func TestFieldGetter(t *testing.T) {
	for _, tt := range []struct{ fn, field string }{
		{`function(e) return e.t end`, "t"},
		{`function(e, m) return e.user end`, "user"},
		{`function(e) return e["t"] end`, "t"},
		{`function(e) return e.t + 1 end`, ""},
		{`function(e) return e.a.b end`, ""},
		{`function(e, m) return m.key end`, ""},
		{`function(e) return e.t, e.u end`, ""},
		{`function(e) local x = e.t return x end`, "t"}, // the same bytecode
		{`function(...) return (...).t end`, ""},
		{`function() return x end`, ""},
		{`function(e) return e[1] end`, ""},
	} {
		L := glua.NewState()
		if err := L.DoString("f = " + tt.fn); err != nil {
			t.Fatal(err)
		}
		field, ok := lua.FieldGetter(L.GetGlobal("f").(*glua.LFunction))
		if ok != (tt.field != "") || field != tt.field {
			t.Errorf("%s: got %q, %v; want %q", tt.fn, field, ok, tt.field)
		}
		L.Close()
	}
}
