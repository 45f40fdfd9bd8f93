package oneliner

import (
	"bytes"
	"io"
	"sync"
	"testing"
	"time"
)

func pipeIOPipe() (*io.PipeReader, *io.PipeWriter) { return io.Pipe() }

// pipeLockedBuffer is a bytes.Buffer safe for concurrent use.
type pipeLockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *pipeLockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *pipeLockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// pipeWaitFor polls cond until it holds or 5 seconds pass.
func pipeWaitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
