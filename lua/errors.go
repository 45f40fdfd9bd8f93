package lua

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/exitcode"
)

// ErrStopped is returned by a waiting call that the run's stop interrupted
// (sleep in a handler or the top level). The coroutine unwinds without
// running further code; the run treats it as part of a clean stop.
var ErrStopped = errors.New("interrupted by the run stopping")

// goError is a Go error raised into Lua as a value: the Value of a userdata
// with the metatable errorMetatable gives it. msg is what Lua shows
// ("job.lua:12: cache.open: cache hits (...) is in use by pid 7"), err the Go
// error: once the Lua error is back in Go (ScriptError), errors.As and
// exitcode.Of find err's type and exit code, also after a script caught the
// error with pcall and raised it again with error(e).
//
// Only errors with an exit code other than exitcode.Runtime travel as values
// (ArgChecker.Check): every other Go error is raised as its message string,
// the value scripts have always received from pcall. An error value prints,
// concatenates and answers string methods (e:match(...)) as its message does.
type goError struct {
	msg string
	err error
}

func (e *goError) Error() string { return e.msg }

// Unwrap returns the Go error.
func (e *goError) Unwrap() error { return e.err }

// errorType is the registry name of the metatable of error values.
const errorType = "streamctl.error"

// raiseError raises msg, positioned already, as an error value holding err
// when err is not nil and as a string otherwise.
func raiseError(L *glua.LState, msg string, err error) {
	if err == nil {
		L.Error(glua.LString(msg), 0)
	}
	ud := L.NewUserData()
	ud.Value = &goError{msg: msg, err: err}
	ud.Metatable = errorMetatable(L)
	L.Error(ud, 0)
}

// errorMetatable returns the metatable of error values, made on first use
// in the Lua state (coroutines share it).
func errorMetatable(L *glua.LState) *glua.LTable {
	if mt, ok := L.GetTypeMetatable(errorType).(*glua.LTable); ok {
		return mt
	}
	mt := L.NewTypeMetatable(errorType)
	mt.RawSetString("__name", glua.LString("error"))
	mt.RawSetString("__tostring", L.NewFunction(func(L *glua.LState) int {
		L.Push(glua.LString(errorText(L, L.Get(1))))
		return 1
	}))
	mt.RawSetString("__concat", L.NewFunction(func(L *glua.LState) int {
		L.Push(glua.LString(errorText(L, L.Get(1)) + errorText(L, L.Get(2))))
		return 1
	}))
	mt.RawSetString("__index", L.NewFunction(func(L *glua.LState) int {
		strlib, _ := L.GetGlobal("string").(*glua.LTable)
		if strlib == nil {
			return 0
		}
		fn, ok := strlib.RawGet(L.Get(2)).(*glua.LFunction)
		if !ok {
			return 0
		}
		// e:match(p) is string.match(message, p).
		L.Push(L.NewFunction(func(L *glua.LState) int {
			args := make([]glua.LValue, L.GetTop())
			for i := range args {
				args[i] = L.Get(i + 1)
			}
			if len(args) > 0 {
				args[0] = glua.LString(errorText(L, args[0]))
			}
			top := L.GetTop()
			L.Push(fn)
			for _, a := range args {
				L.Push(a)
			}
			L.Call(len(args), glua.MultRet)
			return L.GetTop() - top
		}))
		return 1
	}))
	return mt
}

// errorText is v as a string for the metamethods of error values: the
// message of an error value, strings and numbers as they are; anything else
// raises as concatenating it would.
func errorText(L *glua.LState, v glua.LValue) string {
	switch x := v.(type) {
	case glua.LString:
		return string(x)
	case glua.LNumber:
		return x.String()
	case *glua.LUserData:
		if e, ok := x.Value.(*goError); ok {
			return e.msg
		}
	}
	L.RaiseError("attempt to concatenate a %s value", v.Type().String())
	return ""
}

// ErrorMessage returns the message of a Lua error without gopher-lua's
// stack traceback: "job.lua:12: attempt to index a nil value".
func ErrorMessage(err error) string {
	if errors.Is(err, ErrStopped) {
		return ErrStopped.Error()
	}
	var ae *glua.ApiError
	if errors.As(err, &ae) && ae.Object != nil {
		if ud, ok := ae.Object.(*glua.LUserData); ok {
			if e, ok := ud.Value.(error); ok {
				return e.Error()
			}
		}
		return ae.Object.String()
	}
	msg := err.Error()
	if i := strings.Index(msg, "\nstack traceback:"); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// The patterns of gopher-lua's compile errors, compiled on first use: a
// regexp compiled at package initialisation would cost every start-up.
var (
	compileLineRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(.*) line:(\d+)\(column:\d+\) near '(.*)':\s+(.*?)\s*$`)
	})
	compileEOFRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(.*) at EOF:\s+(.*?)\s*$`) })
)

// CompileError turns gopher-lua's "job.lua line:3(column:7) near 'end':   syntax error"
// into "job.lua:3: syntax error near 'end'" with exit code 2. lines is the
// number of lines of the chunk, used for errors at the end of the file. It
// is for errors of gopher-lua's parser and compiler (State.Load uses it).
func CompileError(err error, lines int) error {
	msg := strings.TrimSpace(ErrorMessage(err))
	if m := compileLineRE().FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("%s:%s: %s near '%s'", m[1], m[2], m[4], m[3])
	} else if m := compileEOFRE().FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("%s:%d: %s at end of file", m[1], lines, m[2])
	}
	return &exitcode.Error{Code: exitcode.Usage, Err: errors.New(msg)}
}
