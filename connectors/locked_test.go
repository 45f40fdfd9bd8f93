package connectors

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
)

// countSink counts calls without synchronisation: the race detector fails
// the test if calls overlap.
type countSink struct{ writes, flushes, closes int }

func (s *countSink) Write(context.Context, Record) error { s.writes++; return nil }
func (s *countSink) Flush(context.Context) error         { s.flushes++; return nil }
func (s *countSink) Close(context.Context) error         { s.closes++; return nil }

func TestLocked(t *testing.T) {
	const workers, each = 8, 200
	ctx := context.Background()
	var cs countSink
	var buf bytes.Buffer
	sinks := []Sink{Locked(&cs), Locked(NewWriterSink("out", &buf, textCodec(t)))}
	if Locked(sinks[0]) != sinks[0] {
		t.Error("Locked of a locked sink wraps it again")
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				for _, s := range sinks {
					if err := s.Write(ctx, Record{Value: "0123456789"}); err != nil {
						t.Error(err)
						return
					}
					if err := s.Flush(ctx); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	for _, s := range sinks {
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if cs.writes != workers*each || cs.flushes != workers*each || cs.closes != 1 {
		t.Errorf("counts = %+v", cs)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != workers*each {
		t.Fatalf("%d lines, want %d", len(lines), workers*each)
	}
	for _, l := range lines {
		if l != "0123456789" {
			t.Fatalf("torn line %q", l)
		}
	}
}
