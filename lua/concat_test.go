package lua

import (
	"fmt"
	"strings"
	"testing"

	glua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// concatCases are chunks whose results guarded concatenation must give as
// the VM's own `..` does: strings, numbers, runs of both, __concat
// metamethods on either side and in the middle of a chain, errors.
var concatCases = []string{
	`local a, b = "x", "y"; return a .. b, a .. 1 .. b, a .. "c" .. b`,
	`local a, b = 1, 2.5; return a .. b, a .. b .. a`,
	`local a, b = "x", "y"; return (a .. b) .. (b .. a)`,
	`local a, b = "x", "y"; return (a .. b) .. "!", "!" .. tostring(a .. b) .. "?"`,
	`local mt = {__concat = function(x, y) return "M(" .. type(x) .. "," .. type(y) .. ")" end}
	 local t, a, b = setmetatable({}, mt), "x", "y"
	 return a .. t, t .. a, a .. b .. t .. a .. b, t .. t`,
	`local mt = {__concat = function(x, y) return 7 end}
	 local t, a = setmetatable({}, mt), "x"
	 return a .. a .. t`,
	`local a = "x"; return a .. nil`,
	`local a, z = "x"; return a .. z`,
	`local a, t = "x", {}; return a .. a .. t`,
	`local t = {}; for i = 1, 3 do t[#t + 1] = i .. ":" .. i * 2 end; return table.concat(t, ",")`,
	`local function f(a, b) return a .. b end; return f("p", "q"), f(1, 2)`,
	`local a, b = "x", "y"; return #(a .. b), {a .. b}, (function() return a .. b end)()`,
}

// runConcat runs chunk in a state with the size limit, compiled with or
// without GuardConcat, and returns its results (or its error) as text.
func runConcat(t *testing.T, chunk string, guard bool, max int64) string {
	t.Helper()
	L := glua.NewState()
	defer L.Close()
	limitSizes(L, max)
	L.Push(compileConcat(t, L, chunk, guard))
	if err := L.PCall(0, glua.MultRet, nil); err != nil {
		return "error: " + ErrorMessage(err)
	}
	var out []string
	for i := 1; i <= L.GetTop(); i++ {
		v := L.Get(i)
		if tb, ok := v.(*glua.LTable); ok {
			v = tb.RawGetInt(1)
		}
		out = append(out, fmt.Sprintf("%s:%s", v.Type(), v.String()))
	}
	return strings.Join(out, " ")
}

// compileConcat compiles chunk ("c.lua") in L, with or without
// GuardConcat.
func compileConcat(t testing.TB, L *glua.LState, chunk string, guard bool) *glua.LFunction {
	t.Helper()
	stmts, err := parse.Parse(strings.NewReader(chunk), "c.lua")
	if err != nil {
		t.Fatalf("%s: %v", chunk, err)
	}
	if guard {
		stmts = GuardConcat(stmts)
	}
	proto, err := glua.Compile(stmts, "c.lua")
	if err != nil {
		t.Fatalf("%s: %v", chunk, err)
	}
	return L.NewFunctionFromProto(proto)
}

func TestGuardConcatSameResults(t *testing.T) {
	for _, c := range concatCases {
		want, got := runConcat(t, c, false, 0), runConcat(t, c, true, 0)
		if got != want {
			t.Errorf("%s\n  guarded: %s\n  VM:      %s", c, got, want)
		}
	}
}

func TestGuardConcatLimit(t *testing.T) {
	bomb := `local s = "x"; for i = 1, 40 do s = s .. s end; return #s`
	got := runConcat(t, bomb, true, 1<<20)
	want := "error: c.lua:1: string concatenation (..): the result would be 2 MiB, over the size limit of 1 MiB (run --max-value-size)"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// A concatenation inside an operand of one that is not guarded is
	// guarded on its own: in parentheses, in a call's arguments.
	for _, bomb := range []string{
		`local s = "x"; for i = 1, 40 do s = (s .. s) .. "!" end; return #s`,
		`local s = "x"; for i = 1, 40 do s = tostring(s .. s) .. "!" end; return #s`,
	} {
		if got := runConcat(t, bomb, true, 1<<20); !strings.Contains(got, "c.lua:1: string concatenation (..): the result would be 2.0 MiB, over the size limit of 1 MiB") {
			t.Errorf("%s: got %s", bomb, got)
		}
	}
	// Under the limit, the same loop runs to its end.
	if got := runConcat(t, `local s = "x"; for i = 1, 10 do s = s .. s end; return #s`, true, 1<<20); got != "number:1024" {
		t.Errorf("got %s", got)
	}
	// A constant operand grows a string linearly: the VM's instruction.
	stmts, _ := parse.Parse(strings.NewReader(`local s = "x"; s = s .. "y" .. 1; return s .. s`), "c.lua")
	GuardConcat(stmts)
	if _, ok := stmts[1].(*ast.AssignStmt).Rhs[0].(*ast.StringConcatOpExpr); !ok {
		t.Errorf("s .. \"y\" .. 1 was rewritten")
	}
	if _, ok := stmts[2].(*ast.ReturnStmt).Exprs[0].(*ast.FuncCallExpr); !ok {
		t.Errorf("s .. s was not rewritten")
	}
}

// BenchmarkConcat compares a concatenation of two variables compiled as the
// VM's instruction and as a guarded call, per concatenation.
func BenchmarkConcat(b *testing.B) {
	for _, guard := range []bool{false, true} {
		b.Run(fmt.Sprintf("guarded=%v", guard), func(b *testing.B) {
			L := glua.NewState()
			defer L.Close()
			limitSizes(L, 0)
			fn := compileConcat(b, L, `local n = ...
local a, b, k = "user42", "/api/items"
for i = 1, n do k = a .. b end`, guard)
			b.ResetTimer()
			L.Push(fn)
			L.Push(glua.LNumber(b.N))
			if err := L.PCall(1, 0, nil); err != nil {
				b.Fatal(err)
			}
		})
	}
}
