//go:build !linux

package main

import "github.com/rogpeppe/go-internal/testscript"

// cmdFeedFIFO skips the script: see fifo_linux_test.go.
func cmdFeedFIFO(ts *testscript.TestScript, neg bool, args []string) {
	ts.Skip("feedfifo needs Linux")
}
