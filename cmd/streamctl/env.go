package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

// env is everything the CLI takes from the process; tests replace it.
type env struct {
	args   []string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) (string, bool)
	// isTerminal reports whether stdout is a terminal (pipe flushes per record).
	isTerminal func() bool
	// signals delivers SIGINT/SIGTERM; nil disables signal handling.
	signals func() (<-chan os.Signal, func())
	// exit ends the process at once (second signal).
	exit func(code int)
}

func newEnv() *env {
	return &env{
		args:       os.Args,
		stdin:      os.Stdin,
		stdout:     os.Stdout,
		stderr:     os.Stderr,
		getenv:     os.LookupEnv,
		isTerminal: func() bool { return term.IsTerminal(int(os.Stdout.Fd())) },
		signals: func() (<-chan os.Signal, func()) {
			c := make(chan os.Signal, 2)
			signal.Notify(c, os.Interrupt, syscall.SIGTERM)
			return c, func() { signal.Stop(c) }
		},
		exit: os.Exit,
	}
}

// signalContext returns a context cancelled by the first signal; a second
// signal exits at once with code 130.
func (e *env) signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	if e.signals == nil {
		return ctx, cancel
	}
	sigs, stop := e.signals()
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-done:
			return
		}
		select {
		case <-sigs:
			e.exit(130)
		case <-done:
		}
	}()
	return ctx, func() { close(done); stop(); cancel() }
}
