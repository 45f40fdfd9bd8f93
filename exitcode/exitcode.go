// Package exitcode holds streamctl's process exit codes (api.md section 1)
// and the error that carries one. An error chooses its exit code by having an
// ExitCode() int method (the model is k6's errext); Of finds it anywhere in an
// error's chain, also after the error went through Lua and back (package lua
// carries Go errors as Lua error values). Only cmd/streamctl turns a code into
// os.Exit. The package imports nothing of streamctl, so connectors, state
// and the runtime all give their errors codes from it.
package exitcode

import (
	"errors"
	"os/exec"
)

// The exit codes of api.md section 1.
const (
	OK          = 0
	Runtime     = 1   // script error, connector failure after retries
	Usage       = 2   // usage or script compile error
	BadInput    = 3   // bad input under on_error = "stop"
	Locked      = 75  // a cache is held by another process (EX_TEMPFAIL)
	Interrupted = 130 // SIGINT/SIGTERM
)

// Coder is implemented by errors that choose the process exit code.
type Coder interface{ ExitCode() int }

// Error is an error that carries the process exit code.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.Err }

// ExitCode returns the process exit code for the error.
func (e *Error) ExitCode() int { return e.Code }

// Of returns the exit code err asks for: 0 for nil, the code of the first
// Coder in its chain, else 1.
func Of(err error) int {
	if err == nil {
		return OK
	}
	var xe *exec.ExitError
	if errors.As(err, &xe) {
		// A child's exit status is not streamctl's: a failed exec{} source
		// is a runtime error (1), whatever the child returned.
		var ee *Error
		if errors.As(err, &ee) {
			return ee.Code
		}
		return Runtime
	}
	var ec Coder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return Runtime
}

// ErrInterrupted is returned by a run or a pipe that a signal (the
// cancellation of its context) ended early: exit code 130.
var ErrInterrupted = &Error{Code: Interrupted, Err: errors.New("interrupted")}
