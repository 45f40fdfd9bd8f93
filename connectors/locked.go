package connectors

import (
	"context"
	"sync"
)

// Locked returns a Sink that serialises Write, Flush and Close of s with a
// mutex, for a sink shared by several worker goroutines. The result is safe for
// concurrent use; each call blocks while another one runs. Records from
// different goroutines interleave in lock order. Locked of a sink it returned
// returns that sink unchanged. The result implements Named with NameOf(s).
func Locked(s Sink) Sink {
	if l, ok := s.(*lockedSink); ok {
		return l
	}
	return &lockedSink{s: s}
}

type lockedSink struct {
	mu sync.Mutex
	s  Sink
}

func (l *lockedSink) Write(ctx context.Context, r Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.Write(ctx, r)
}

func (l *lockedSink) Flush(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.Flush(ctx)
}

func (l *lockedSink) Close(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.Close(ctx)
}

// Name returns the wrapped sink's name.
func (l *lockedSink) Name() string { return NameOf(l.s) }

// Unwrap returns the wrapped sink, so optional capabilities (Acker) stay visible.
func (l *lockedSink) Unwrap() Sink { return l.s }

var (
	_ Sink  = (*lockedSink)(nil)
	_ Named = (*lockedSink)(nil)
)
