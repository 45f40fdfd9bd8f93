package connectors

import (
	"errors"
	"fmt"

	"github.com/streamctl/streamctl/exitcode"
)

// BadInputError reports input that could not be decoded. It prints as
// "stdin:12: invalid JSON: ..." and carries exit code 3, the code for bad
// input under on_error = "stop".
type BadInputError struct {
	Source string // "stdin", "file:app.log"
	Pos    int64  // 1-based line or record number, 0 if unknown
	Err    error  // the codec's error
}

func (e *BadInputError) Error() string {
	if e.Pos > 0 {
		return fmt.Sprintf("%s:%d: %v", e.Source, e.Pos, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Source, e.Err)
}

// Unwrap returns the codec's error.
func (e *BadInputError) Unwrap() error { return e.Err }

// ExitCode is exitcode.BadInput (3): bad input under on_error = "stop".
func (e *BadInputError) ExitCode() int { return exitcode.BadInput }

// ErrClosed is returned by Write on a sink that was closed.
var ErrClosed = errors.New("sink is closed")
