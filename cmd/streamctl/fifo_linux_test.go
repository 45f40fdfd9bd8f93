package main

import (
	"os"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdFeedFIFO is "feedfifo PATH FILE": it makes PATH a named pipe holding
// FILE's bytes and keeps its write end open until the script ends, so a
// reader of PATH gets those bytes and then waits for more, as a pipe from
// `tail -f` does. (Linux: opening a FIFO read-write does not block.)
func cmdFeedFIFO(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: feedfifo PATH FILE")
	}
	path := ts.MkAbs(args[0])
	ts.Check(syscall.Mkfifo(path, 0o600))
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	ts.Check(err)
	ts.Defer(func() { f.Close() })
	_, err = f.WriteString(ts.ReadFile(args[1]))
	ts.Check(err)
}
