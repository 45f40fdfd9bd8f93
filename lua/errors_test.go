package lua_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/exitcode"
	"github.com/streamctl/streamctl/lua"
)

// heldError stands for a Go error that chooses the exit code, like
// state.LockedError.
type heldError struct{ name string }

func (e *heldError) Error() string { return "cache " + e.name + " is in use by pid 7" }
func (e *heldError) ExitCode() int { return exitcode.Locked }

// heldModule installs hold(name), which raises a *heldError through
// ArgChecker.Check as a binding does.
type heldModule struct{}

func (heldModule) Name() string { return "held" }

func (heldModule) Open(s *lua.State) error {
	s.L.SetGlobal("hold", s.L.NewFunction(func(L *glua.LState) int {
		a := lua.Args(L, "hold")
		a.Check(&heldError{name: a.String(1, "name")})
		return 0
	}))
	return nil
}

// TestErrorValueKeepsExitCode: a Go error with an exit code crosses Lua as
// a value holding it, so the run's error finds its type and exit code, also
// after the script caught it with pcall and raised it again with error(e),
// and the message names the script line of the call.
func TestErrorValueKeepsExitCode(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"raised", `
hold("hits")`, "job.lua:2: hold: cache hits is in use by pid 7"},
		{"re-raised at the top level", `
local ok, e = pcall(hold, "hits")
assert(not ok)
error(e)`, "job.lua:2: hold: cache hits is in use by pid 7"},
		{"re-raised in a handler", `
handle(iterate{1}, function()
  local ok, e = pcall(hold, "users")
  error(e)
end)`, "job.lua:3: hold: cache users is in use by pid 7 (record iterate:1)"},
		{"re-raised from a callback", `
handle(iterate{1}, {sink = function() hold("sink") end}, function(v) return v end)`,
			"job.lua:2: hold: cache sink is in use by pid 7 (record iterate:1)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rt := lua.New(lua.Options{Script: "job.lua", Source: []byte(tt.src),
				Modules: append(bindings.Modules(bindings.Deps{}), heldModule{}), Stdout: io.Discard, Stderr: io.Discard})
			err := rt.Run(context.Background())
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			var held *heldError
			if !errors.As(err, &held) {
				t.Errorf("errors.As found no *heldError in %#v", err)
			}
			if code := exitcode.Of(err); code != exitcode.Locked {
				t.Errorf("exit code %d, want %d", code, exitcode.Locked)
			}
		})
	}
}

// TestErrorValueReadsAsItsMessage: a script that catches an error value
// prints, concatenates and searches it as the message string it used to get.
func TestErrorValueReadsAsItsMessage(t *testing.T) {
	r := runScriptWith(t, `
local ok, e = pcall(hold, "hits")
print(ok, tostring(e))
print("failed: " .. e)
print(e .. "!")
print(e:match("cache (%w+)"), e:find("pid"))
print(e:upper())
`, heldModule{})
	if r.err != nil {
		t.Fatalf("%v\n%s", r.err, r.stderr)
	}
	want := "false\tjob.lua:2: hold: cache hits is in use by pid 7\n" +
		"failed: job.lua:2: hold: cache hits is in use by pid 7\n" +
		"job.lua:2: hold: cache hits is in use by pid 7!\n" +
		"hits\t42\t44\n" +
		"JOB.LUA:2: HOLD: CACHE HITS IS IN USE BY PID 7\n"
	if r.stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
	}
}

// TestPlainGoErrorsStayStrings: errors without an exit code of their own
// reach scripts as message strings, as they always did.
func TestPlainGoErrorsStayStrings(t *testing.T) {
	r := runScriptWith(t, `
local ok, e = pcall(json.decode, "{")
print(type(e), (e:gsub(": .*", "")))
`)
	if r.err != nil {
		t.Fatalf("%v\n%s", r.err, r.stderr)
	}
	if want := "string\tjob.lua:2\n"; !strings.HasPrefix(r.stdout, want) {
		t.Errorf("stdout = %q, want %q", r.stdout, want)
	}
}

// runScriptWith runs src as job.lua with the real bindings and mods, with an
// empty stdin.
func runScriptWith(t *testing.T, src string, mods ...lua.Module) result {
	t.Helper()
	var out, errb strings.Builder
	rt := lua.New(lua.Options{Script: "job.lua", Source: []byte(src),
		Modules: append(bindings.Modules(bindings.Deps{}), mods...), Stdout: &out, Stderr: &errb})
	err := rt.Run(context.Background())
	return result{out.String(), errb.String(), err}
}
