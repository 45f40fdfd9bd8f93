package state

import (
	"errors"
	"fmt"
	"strings"

	"github.com/streamctl/streamctl/exitcode"
)

// Sentinel errors. Errors returned by this package wrap one of these (test
// with errors.Is) and carry their own message; the sentinel's text is not
// repeated in it.
var (
	// ErrBadKey is wrapped by EncodeKey, PrefixKey and every Cache method that
	// takes a key when the key is not a string, number, boolean or tuple of
	// those, is NaN, or nests tuples deeper than 32 levels. Also returned by
	// DecodeKey for bytes that are not a key encoding.
	ErrBadKey = errors.New("bad key")

	// ErrBadValue is wrapped by EncodeValue and Cache writes when a value is
	// outside the data model (a func, a struct, a uint64 above MaxInt64, a
	// cycle or nesting deeper than 1000 levels), and by DecodeValue for bytes
	// that are not a value encoding.
	ErrBadValue = errors.New("bad value")

	// ErrNotNumber is wrapped by Cache.Incr when the stored value is not a
	// number: `value at "hits" is a string, not a number`.
	ErrNotNumber = errors.New("not a number")

	// ErrBadName is wrapped by Store.Cache, Store.Load, Store.Save and Repair
	// when a name breaks the rule [A-Za-z0-9_.-]+ (and not "." or "..").
	ErrBadName = errors.New("bad name")

	// ErrNotExist is wrapped by Store.CheckExists, Store.Dump and reads of
	// a held state directory (package live) when a cache or saved state does
	// not exist in the state directory, and by Store.Names when the state
	// directory itself does not exist.
	ErrNotExist = errors.New("does not exist")

	// ErrClosed is wrapped by Cache methods called after the last Close, and
	// by Store methods called after Store.Close.
	ErrClosed = errors.New("closed")

	// ErrConfig is wrapped by Store.Cache when a cache that is already open in
	// this process is opened again with a different CacheConfig.
	ErrConfig = errors.New("config mismatch")

	// ErrLocked is matched (errors.Is) by *LockedError: another process holds
	// the database.
	ErrLocked = errors.New("in use by another process")

	// ErrCorrupted is matched (errors.Is) by *CorruptedError: a database could
	// not be opened or read because its files are damaged.
	ErrCorrupted = errors.New("corrupted")
)

// NotExist returns the error wrapping ErrNotExist for the cache or
// "state/NAME" name that the state directory dir does not hold: `cache hits
// does not exist in DIR`, `state progress does not exist in DIR`.
func NotExist(dir, name string) error {
	kind, bare := "cache", name
	if rest, ok := strings.CutPrefix(name, statePrefix); ok {
		kind, bare = "state", rest
	}
	return errorf(ErrNotExist, "%s %s does not exist in %s", kind, bare, dir)
}

// sentinelError is an error with its own message that matches a sentinel.
type sentinelError struct {
	msg  string
	kind error // the sentinel
	err  error // optional cause
}

func (e *sentinelError) Error() string { return e.msg }

// Is reports whether target is the sentinel.
func (e *sentinelError) Is(target error) bool { return target == e.kind }

// Unwrap returns the cause, if any.
func (e *sentinelError) Unwrap() error { return e.err }

// errorf returns an error printing the formatted message and matching kind.
// A %w verb in format also makes the wrapped error reachable.
func errorf(kind error, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &sentinelError{msg: err.Error(), kind: kind, err: errors.Unwrap(err)}
}

// LockedError is returned by every Store method that opens the database
// when another process holds its LOCK file. It prints `state directory DIR
// is in use by pid N`, or "by another process" when the holder's pid is
// unknown, and makes the CLI exit with code 75.
type LockedError struct {
	Dir string // the state directory
	PID int    // the holder's pid, 0 when unknown
}

func (e *LockedError) Error() string {
	by := "another process"
	if e.PID > 0 {
		by = fmt.Sprintf("pid %d", e.PID)
	}
	return fmt.Sprintf("state directory %s is in use by %s", e.Dir, by)
}

// ExitCode returns exitcode.Locked (75, EX_TEMPFAIL): try again when the
// other process is done.
func (e *LockedError) ExitCode() int { return exitcode.Locked }

// Is matches ErrLocked.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// CorruptedError is returned when the database's files are damaged (a torn
// manifest, a missing CURRENT file, a bad table checksum). Its message says
// what happened and how to fix it: `state directory DIR is corrupted:
// CAUSE; run "streamctl state repair" to recover what is readable`.
type CorruptedError struct {
	Dir  string // the state directory
	Path string // the damaged database directory
	Err  error  // what goleveldb reported
}

func (e *CorruptedError) Error() string {
	return fmt.Sprintf("state directory %s is corrupted: %v; run \"streamctl state repair\" to recover what is readable",
		e.Dir, e.Err)
}

// Unwrap returns goleveldb's error.
func (e *CorruptedError) Unwrap() error { return e.Err }

// Is matches ErrCorrupted.
func (e *CorruptedError) Is(target error) bool { return target == ErrCorrupted }

// ImportError is returned by Store.Import for a dump line it could not
// read: one that does not decode, lacks the cache, the key or the value, has
// a field of its own or a bad escape. Line is 1-based.
type ImportError struct {
	Line int
	Err  error
}

func (e *ImportError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns the cause.
func (e *ImportError) Unwrap() error { return e.Err }

// errRecordShape is the Err of an ImportError for a dump line that is not
// an object with a cache name, a key (but for states), a value and maybe an
// expiry.
var errRecordShape = errors.New(`want {"cache": NAME, "key": KEY, "value": VALUE[, "expires": TIME]}`)
