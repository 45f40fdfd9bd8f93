package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run the real CLI as the "streamctl" command,
// in-process re-exec of this test binary (go-internal testscript/exe.go).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"streamctl": func() { os.Exit(run(newEnv())) },
	})
}

// TestScripts runs testdata/*.txtar, one per command and per Lua module. A
// script checks exit codes with "exitcode N cmd args...".
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams(t, "testdata"))
}

func scriptParams(t *testing.T, dir string) testscript.Params {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			env.Setenv("REPO", root)
			env.Setenv("STREAMCTL_STATE_DIR", filepath.Join(env.WorkDir, ".streamctl"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// exitcode N cmd args...: run cmd, expect exit code N.
			// waitfile PATH: wait until PATH exists (polling, 10 s deadline).
			// devbroker [-partitions N] [TOPIC...]: see cmdDevBroker.
			"devbroker": cmdDevBroker,
			// feedfifo PATH FILE: see fifo_linux_test.go.
			"feedfifo": cmdFeedFIFO,
			// httpfeed VAR, freeaddr VAR, sseget URL N: see http_test.go.
			"httpfeed": cmdHTTPFeed,
			"freeaddr": cmdFreeAddr,
			"sseget":   cmdSSEGet,
			"waitfile": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: waitfile PATH")
				}
				path := ts.MkAbs(args[0])
				deadline := time.Now().Add(10 * time.Second)
				for {
					if _, err := os.Stat(path); err == nil {
						return
					}
					if time.Now().After(deadline) {
						ts.Fatalf("waitfile: %s did not appear within 10s", args[0])
					}
					time.Sleep(5 * time.Millisecond)
				}
			},
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exitcode N command [args...]")
				}
				want, err := strconv.Atoi(args[0])
				if err != nil {
					ts.Fatalf("exitcode: %v", err)
				}
				err = ts.Exec(args[1], args[2:]...)
				got := 0
				if err != nil {
					ee, ok := err.(interface{ ExitCode() int })
					if !ok {
						ts.Fatalf("exitcode: %v", err)
					}
					got = ee.ExitCode()
				}
				if got != want {
					ts.Fatalf("exit code %d, want %d", got, want)
				}
			},
		},
	}
}
