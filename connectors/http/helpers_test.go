package http

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/streamctl/streamctl/connectors"
)

// fast makes retries and reconnects wait a millisecond or so.
var fast = WithBackoff(time.Millisecond, 4*time.Millisecond)

// waitFor polls cond until it holds, failing the test after 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond) // polling interval, not a wait for an event
	}
}

// logBuffer is a concurrency-safe log destination.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, nil)), b
}

// freeAddr returns a local address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// runSource runs src in a goroutine; records arrive on the returned channel
// and Run's error on the other. The source is stopped at cleanup.
func runSource(t *testing.T, src connectors.Source) (<-chan connectors.Record, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	recs := make(chan connectors.Record, 100)
	done := make(chan error, 1)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		done <- src.Run(ctx, func(ctx context.Context, r connectors.Record) error {
			select {
			case recs <- r:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Error("source did not stop")
		}
	})
	return recs, done
}

// next receives one record, failing after 10s.
func next(t *testing.T, recs <-chan connectors.Record) connectors.Record {
	t.Helper()
	select {
	case r := <-recs:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for a record")
	}
	return connectors.Record{}
}

// result receives Run's error, failing after 10s.
func result(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for Run to return")
	}
	return nil
}

func connRecord(v any, meta map[string]any) connectors.Record {
	return connectors.Record{Value: v, Meta: meta}
}
