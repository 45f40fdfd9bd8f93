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
	return &exitcode.Error{Code: exitcode.Usage, Err: errors.New(msg)}
}
