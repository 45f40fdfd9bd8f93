package exitcode

import (
	"errors"
	"fmt"
	"os/exec"
	"testing"
)

type coded struct{ code int }

func (c coded) Error() string { return "coded" }
func (c coded) ExitCode() int { return c.code }

func TestOf(t *testing.T) {
	childFailed := &exec.ExitError{}
	for _, tt := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, OK},
		{"plain", errors.New("x"), Runtime},
		{"coder", coded{Locked}, Locked},
		{"wrapped coder", fmt.Errorf("cache.open: %w", coded{BadInput}), BadInput},
		{"joined", errors.Join(errors.New("x"), &Error{Code: Usage, Err: errors.New("y")}), Usage},
		{"interrupted", ErrInterrupted, Interrupted},
		{"a child's exit status is a runtime error", fmt.Errorf("exec: %w", childFailed), Runtime},
		{"unless given a code", &Error{Code: Usage, Err: childFailed}, Usage},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.err); got != tt.want {
				t.Errorf("Of(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}
