package state

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Locking
//
// goleveldb takes an exclusive flock(2) on DIR/LOCK when it opens a database
// and fails with a bare EAGAIN ("resource temporarily unavailable") when
// another process holds it. The kernel drops the lock when the holder exits,
// kill -9 included, so a stale LOCK file never blocks anyone.
//
// To name the holder, the process that opened a database writes its pid to
// pidFile inside the database directory (goleveldb ignores file names it does
// not know) right after the open succeeds, and removes it on Close. A second
// process that finds the database locked reads it for LockedError; the file
// of a killed holder is simply overwritten by the next successful open. The
// pid file lives inside the directory rather than beside it (NAME.pid) so that
// no cache name can collide with another cache's pid file.
const pidFile = "holder.pid"

// isLockError reports whether err is goleveldb failing to take the LOCK file.
func isLockError(err error) bool {
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) {
		return true
	}
	return strings.Contains(err.Error(), "resource temporarily unavailable")
}

// lockedError builds the LockedError for the state directory dir whose
// database at path is locked, reading the holder's pid when it is known.
func lockedError(dir, path string) *LockedError {
	return &LockedError{Dir: dir, PID: readPID(filepath.Join(path, pidFile))}
}

// readPID returns the pid in path, or 0 when it is missing or unreadable.
func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// writePID records this process as the holder of the database at dir: it
// writes a temporary file and renames it over pidFile, so a reader never sees
// a half-written pid.
func writePID(dir string) error {
	path := filepath.Join(dir, pidFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// removePID removes the pid file at dir if it still names this process.
func removePID(dir string) error {
	path := filepath.Join(dir, pidFile)
	if readPID(path) != os.Getpid() {
		return nil
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}
