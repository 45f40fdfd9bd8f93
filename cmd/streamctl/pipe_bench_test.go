package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// benchCLI runs the CLI in-process with empty stdin: the work a command
// does after the process started and every package was initialised (the
// rest of `streamctl pipe true < /dev/null`, see docs/performance.md).
func benchCLI(b *testing.B, args ...string) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var stderr bytes.Buffer
		e := &env{
			args:   append([]string{"streamctl"}, args...),
			stdin:  strings.NewReader(""),
			stdout: io.Discard,
			stderr: &stderr,
			getenv: func(string) (string, bool) { return "", false },
			exit:   func(int) {},
		}
		if code := run(e); code != 0 {
			b.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
}

func BenchmarkCLIPipeTrue(b *testing.B)     { benchCLI(b, "pipe", "true") }
func BenchmarkCLIPipeTrueW2(b *testing.B)   { benchCLI(b, "pipe", "-w", "2", "true") }
func BenchmarkCLIPipeJSONExpr(b *testing.B) { benchCLI(b, "pipe", "-i", "json", "status >= 500") }
func BenchmarkCLIVersion(b *testing.B)      { benchCLI(b, "version") }
