package lua

import (
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"sync"

	glua "github.com/yuin/gopher-lua"
)

// Exit codes of api.md section 1. Only cmd/streamctl turns them into os.Exit.
const (
	ExitOK          = 0
	ExitRuntime     = 1   // script error, connector failure after retries
	ExitUsage       = 2   // usage or script compile error
	ExitBadInput    = 3   // bad input under on_error = "stop"
	ExitLocked      = 75  // a cache is held by another process
	ExitInterrupted = 130 // SIGINT/SIGTERM
)

// ExitError is an error that carries the process exit code.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode returns the process exit code for the error.
func (e *ExitError) ExitCode() int { return e.Code }

// ExitCoder is implemented by errors that choose the process exit code.
type ExitCoder interface{ ExitCode() int }

// ExitCodeOf returns the exit code err asks for: 0 for nil, the code of the
// first ExitCoder in its chain, else 1.
func ExitCodeOf(err error) int {
	if err == nil {
		return ExitOK
	}
	var xe *exec.ExitError
	if errors.As(err, &xe) {
		// A child's exit status is not streamctl's: a failed exec{} source
		// is a runtime error (1), whatever the child returned.
		var ee *ExitError
		if errors.As(err, &ee) {
			return ee.Code
		}
		return ExitRuntime
	}
	var ec ExitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return ExitRuntime
}

// ErrStopped is returned by a waiting call that the run's stop interrupted
// (sleep in a handler or the top level). The coroutine unwinds without
// running further code; the run treats it as part of a clean stop.
var ErrStopped = errors.New("interrupted by the run stopping")

// ErrInterrupted is returned by Run when the context was cancelled by a signal.
var ErrInterrupted = &ExitError{Code: ExitInterrupted, Err: errors.New("interrupted")}

// luaErrorMessage returns the message of a Lua error without gopher-lua's
// stack traceback: "job.lua:12: attempt to index a nil value".
func luaErrorMessage(err error) string {
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

// compileError turns gopher-lua's "job.lua line:3(column:7) near 'end':   syntax error"
// into "job.lua:3: syntax error near 'end'" with exit code 2. lines is the
// number of lines of the chunk, used for errors at the end of the file.
func compileError(err error, lines int) error {
	msg := strings.TrimSpace(luaErrorMessage(err))
	if m := compileLineRE().FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("%s:%s: %s near '%s'", m[1], m[2], m[4], m[3])
	} else if m := compileEOFRE().FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("%s:%d: %s at end of file", m[1], lines, m[2])
	}
	return &ExitError{Code: ExitUsage, Err: errors.New(msg)}
}
