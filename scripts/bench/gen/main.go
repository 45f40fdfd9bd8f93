// Command gen writes N deterministic NDJSON access-log lines to stdout for
// scripts/bench/pipe.sh: fields ts, user, status, path, bytes; about 25% of
// the lines have status >= 500.
//
//	go run ./scripts/bench/gen -n 1000000 > scripts/bench/data/access.ndjson
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/streamctl/streamctl/scripts/bench/internal/accesslog"
)

func main() {
	n := flag.Int("n", 1000000, "number of lines")
	flag.Parse()
	if err := accesslog.Write(os.Stdout, *n); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
