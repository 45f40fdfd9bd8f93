// Command gen writes N deterministic NDJSON access-log lines to stdout for
// scripts/bench/pipe.sh: fields ts, user, status, path, bytes; about 25% of
// the lines have status >= 500.
//
//	go run ./scripts/bench/gen -n 1000000 > scripts/bench/data/access.ndjson
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	n := flag.Int("n", 1000000, "number of lines")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	statuses := []int{200, 200, 200, 201, 204, 301, 304, 404, 500, 502, 503, 200}
	paths := []string{"/api/v1/items/", "/api/v1/users/", "/static/app.js?v=", "/health/", "/api/v2/orders/"}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	x := uint64(88172645463325252) // xorshift64: same output everywhere
	next := func() uint64 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return x
	}
	for i := 0; i < *n; i++ {
		r := next()
		st := statuses[(r>>40)%12] // 3 of the 12 statuses are >= 500: 25%
		ts := t0.Add(time.Duration(i) * 37 * time.Millisecond).Format(time.RFC3339)
		fmt.Fprintf(w, `{"ts":"%s","user":"u%d","status":%d,"path":"%s%d","bytes":%d}`+"\n",
			ts, (r>>8)%5000, st, paths[(r>>20)%5], (r>>24)%1000, (r>>34)%200000)
	}
}
