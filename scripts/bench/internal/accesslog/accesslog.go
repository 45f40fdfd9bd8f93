// Package accesslog writes the deterministic NDJSON access-log lines of the
// pipe benchmarks: fields ts, user, status, path, bytes; 3 of the 12
// statuses are >= 500, so about 25% of the lines, and one of the six paths
// is "/login" (the whole-record benchmark modifies those), so about 17%.
package accesslog

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Write writes n lines to w and returns the first write error.
func Write(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	statuses := []int{200, 200, 200, 201, 204, 301, 304, 404, 500, 502, 503, 200}
	paths := []string{"/api/v1/items/", "/api/v1/users/", "/static/app.js?v=", "/health/", "/api/v2/orders/", "/login"}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	x := uint64(88172645463325252) // xorshift64: same output everywhere
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		r := x
		st := statuses[(r>>40)%12]
		ts := t0.Add(time.Duration(i) * 37 * time.Millisecond).Format(time.RFC3339)
		path := paths[(r>>20)%6]
		if path != "/login" {
			path += strconv.FormatUint((r>>24)%1000, 10)
		}
		if _, err := fmt.Fprintf(bw, `{"ts":"%s","user":"u%d","status":%d,"path":"%s","bytes":%d}`+"\n",
			ts, (r>>8)%5000, st, path, (r>>34)%200000); err != nil {
			return err
		}
	}
	return bw.Flush()
}
