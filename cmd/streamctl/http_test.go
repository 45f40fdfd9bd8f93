package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// httpDeadline bounds every wait of these tests.
const httpDeadline = 15 * time.Second

// cmdHTTPFeed is the testscript command "httpfeed VAR": it starts a local
// HTTP server for the rest of the script and sets $VAR to its base URL
// ("http://127.0.0.1:PORT"). GET /NAME answers the file $WORK/NAME, read
// anew at each request, so a script can change the feed between runs.
// NAME.sse files are served as an SSE stream, see serveSSEFile.
func cmdHTTPFeed(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: httpfeed VAR")
	}
	dir := ts.Getenv("WORK")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(r.URL.Path, "/"))))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if strings.HasSuffix(r.URL.Path, ".sse") {
			serveSSEFile(w, r, data)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(data)
	}))
	ts.Defer(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	ts.Setenv(args[0], srv.URL)
}

// serveSSEFile serves the events of data (separated by blank lines) the way
// a server that supports Last-Event-ID does, over several connections: each
// connection gets the next two events after the one named by the request's
// Last-Event-ID and then ends, as if it had dropped; once every event was
// sent, it answers 204 No Content, the SSE way to tell the client to stop.
// Lines before the first event (such as "retry: 10") go with each
// connection.
func serveSSEFile(w http.ResponseWriter, r *http.Request, data []byte) {
	blocks := strings.Split(strings.TrimSpace(strings.ReplaceAll(string(data), "\r\n", "\n")), "\n\n")
	var preamble string
	if len(blocks) > 0 && !strings.Contains(blocks[0], "data:") {
		preamble, blocks = blocks[0]+"\n\n", blocks[1:]
	}
	start := 0
	if last := r.Header.Get("Last-Event-ID"); last != "" {
		for i, b := range blocks {
			if sseField(b, "id") == last {
				start = i + 1
			}
		}
	}
	if start >= len(blocks) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	io.WriteString(w, preamble)
	for _, b := range blocks[start:min(start+2, len(blocks))] {
		io.WriteString(w, b+"\n\n")
	}
}

// sseField returns the value of the last "name:" line of an event block.
func sseField(block, name string) string {
	v := ""
	for _, line := range strings.Split(block, "\n") {
		if rest, ok := strings.CutPrefix(line, name+":"); ok {
			v = strings.TrimPrefix(rest, " ")
		}
	}
	return v
}

// cmdFreeAddr is the testscript command "freeaddr VAR": it sets $VAR to a
// 127.0.0.1 address with a port that was free a moment ago.
func cmdFreeAddr(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeaddr VAR")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ts.Fatalf("freeaddr: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ts.Setenv(args[0], addr)
}

// cmdSSEGet is the testscript command "sseget URL N": it connects to the
// SSE stream at URL (retrying until the server is up), reads N events and
// checks that their data are increasing RFC 3339 times.
func cmdSSEGet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sseget URL N")
	}
	var n int
	if _, err := fmt.Sscan(args[1], &n); err != nil {
		ts.Fatalf("sseget: N: %v", err)
	}
	data, err := readSSE(args[0], n)
	if err != nil {
		ts.Fatalf("sseget: %v", err)
	}
	if err := increasingTimes(data); err != nil {
		ts.Fatalf("sseget: %v", err)
	}
	ts.Logf("sseget: %q", data)
}

// readSSE connects to the SSE stream at url, retrying for httpDeadline
// until the server answers other than 404, and returns the data of its
// first n events.
func readSSE(url string, n int) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), httpDeadline)
	defer cancel()
	var resp *http.Response
	for {
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "text/event-stream")
		resp, err = http.DefaultClient.Do(req)
		if err == nil && resp.StatusCode != http.StatusNotFound {
			break
		}
		if err == nil {
			// http.serve listens at once; the script registers /updates
			// a moment later.
			resp.Body.Close()
			err = errors.New(resp.Status)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("GET %s: %w", url, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		return nil, fmt.Errorf("GET %s: %s, Content-Type %q", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	var events []string
	var data []string
	sc := bufio.NewScanner(resp.Body)
	for len(events) < n && sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data != nil {
				events = append(events, strings.Join(data, "\n"))
				data = nil
			}
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
	}
	if len(events) < n {
		return events, fmt.Errorf("GET %s: stream ended after %d of %d events: %v", url, len(events), n, sc.Err())
	}
	return events, nil
}

// increasingTimes checks that every element is an RFC 3339 time later than
// the one before.
func increasingTimes(data []string) error {
	var prev time.Time
	for i, d := range data {
		tm, err := time.Parse(time.RFC3339Nano, d)
		if err != nil {
			return fmt.Errorf("event %d: %v", i+1, err)
		}
		if i > 0 && !tm.After(prev) {
			return fmt.Errorf("event %d: %s is not after %s", i+1, d, data[i-1])
		}
		prev = tm
	}
	return nil
}

// httpProc is a `streamctl` child process of an HTTP test.
type httpProc struct {
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{}
}

// startHTTPProc starts `streamctl ARGS...` in dir; the cleanup kills it if
// the test did not wait for it.
func startHTTPProc(t *testing.T, dir string, args ...string) *httpProc {
	t.Helper()
	p := &httpProc{cmd: exec.Command(streamctlBin(t), args...), done: make(chan struct{})}
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), "STREAMCTL_STATE_DIR="+filepath.Join(dir, ".streamctl"))
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

var listeningRe = regexp.MustCompile(`msg="http server listening" addr=(\S+)`)

// addr waits for the child's "http server listening" log line and returns
// the address in it.
func (p *httpProc) addr(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(httpDeadline)
	for {
		if m := listeningRe.FindStringSubmatch(p.stderr.String()); m != nil {
			return m[1]
		}
		select {
		case <-p.done:
			t.Fatalf("streamctl exited before listening\nstderr:\n%s", p.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("streamctl did not listen within %v\nstderr:\n%s", httpDeadline, p.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stop sends sig and checks the exit code.
func (p *httpProc) stop(t *testing.T, sig syscall.Signal, want int) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	p.wait(t, want)
}

// wait waits for the child to exit and checks its exit code.
func (p *httpProc) wait(t *testing.T, want int) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(httpDeadline):
		t.Fatalf("streamctl did not exit within %v\nstderr:\n%s", httpDeadline, p.stderr.String())
	}
	if got := p.cmd.ProcessState.ExitCode(); got != want {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", got, want, p.stdout.String(), p.stderr.String())
	}
}

// writeLua writes src as dir/name and returns dir.
func writeLua(t *testing.T, name, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// scriptPath is the absolute path of scripts/NAME.
func scriptPath(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "scripts", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHTTPEndpoint runs scripts/http_endpoint.lua on a free port: an SSE
// client gets consecutive, increasing times, and SIGINT ends the run with
// exit 130 after on_stop.
func TestHTTPEndpoint(t *testing.T) {
	t.Parallel()
	p := startHTTPProc(t, t.TempDir(), "run", scriptPath(t, "http_endpoint.lua"), "--set", "addr=127.0.0.1:0", "--set", "every=20ms")
	addr := p.addr(t)
	data, err := readSSE("http://"+addr+"/updates", 3)
	if err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, p.stderr.String())
	}
	if err := increasingTimes(data); err != nil {
		t.Fatal(err)
	}
	p.stop(t, syscall.SIGINT, 130)
	if got := p.stdout.String(); got != "stopped\n" {
		t.Errorf("stdout %q, want %q", got, "stopped\n")
	}
}

// TestHTTPServeAddressInUse: http.serve on a taken address fails the run at
// once with exit 1 and one line naming the call and the address.
func TestHTTPServeAddressInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := writeLua(t, "job.lua", "local srv = http.serve{addr = args.addr}\nprint('not reached')\n")
	p := startHTTPProc(t, dir, "run", "job.lua", "--set", "addr="+ln.Addr().String())
	p.wait(t, 1)
	want := "streamctl: job.lua:1: http.serve: http: listen " + ln.Addr().String() + ": address already in use\n"
	if got := p.stderr.String(); got != want {
		t.Errorf("stderr:\n%q\nwant:\n%q", got, want)
	}
	if got := p.stdout.String(); got != "" {
		t.Errorf("stdout %q, want nothing", got)
	}
}

// TestHTTPMetrics scrapes /metrics of a server without handlers of its own
// while it keeps the run alive after a handler over iterate{1, 2, 3} failed
// once under on_error = "skip", then stops the run with SIGINT.
func TestHTTPMetrics(t *testing.T) {
	t.Parallel()
	dir := writeLua(t, "job.lua", `
http.serve{addr = "127.0.0.1:0"}
handle(iterate{1, 2, 3}, {name = "nums", on_error = "skip", sink = function() end}, function(n)
  if n == 2 then error("no twos") end
  return n
end)
-- t = 20 closes the window [0, 10) (no grace): t = 2 is late.
handle(iterate{{t = 1}, {t = 20}, {t = 2}}, {name = "win",
  pipe = {window.tumbling{size = 10, time = function(v) return v.t end}}}, function() end)
`)
	p := startHTTPProc(t, dir, "run", "job.lua")
	base := "http://" + p.addr(t)
	want := strings.Join([]string{
		`streamctl_records_errors_total{handler="nums"} 1`,
		`streamctl_records_errors_total{handler="win"} 0`,
		`streamctl_records_in_total{handler="nums"} 3`,
		`streamctl_records_in_total{handler="win"} 3`,
		`streamctl_records_late_total{handler="nums"} 0`,
		`streamctl_records_late_total{handler="win"} 1`,
		`streamctl_records_out_total{handler="nums"} 2`,
		`streamctl_records_out_total{handler="win"} 0`,
		`streamctl_records_skipped_total{handler="nums"} 1`,
		`streamctl_records_skipped_total{handler="win"} 0`,
	}, "\n")
	var got string
	for deadline := time.Now().Add(httpDeadline); ; {
		body, status := httpGet(t, base+"/metrics")
		if status != http.StatusOK {
			t.Fatalf("/metrics: status %d: %s", status, body)
		}
		var lines []string
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "streamctl_records_") {
				lines = append(lines, l)
			}
		}
		sort.Strings(lines)
		if got = strings.Join(lines, "\n"); got == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics:\n%s\nwant:\n%s", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if body, status := httpGet(t, base+"/healthz"); status != 200 || body != "ok" {
		t.Errorf("/healthz: %d %q", status, body)
	}
	p.stop(t, syscall.SIGINT, 130)
	if !strings.Contains(p.stderr.String(), `msg="record skipped" handler=nums error="job.lua:4: no twos (record iterate:2)"`) {
		t.Errorf("the skipped record is not logged:\n%s", p.stderr.String())
	}
}

func httpGet(t *testing.T, url string) (string, int) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), resp.StatusCode
}

// feedItem is an item of the feed scripts/http_collector.lua reads.
type feedItem struct {
	ID    string `json:"id"`
	Time  string `json:"time"`
	Title string `json:"title"`
}

// TestHTTPCollectorCrash kills scripts/http_collector.lua with SIGKILL in
// the middle of a large feed, then runs it again: every item is printed,
// and the only one printed twice, if any, is the one in flight at the kill
// (printed and flushed, but killed before its state.save), which the second
// run prints first. The feed is larger than a pipe's buffer and the test
// stops reading after a few lines, so the kill always lands mid-run.
func TestHTTPCollectorCrash(t *testing.T) {
	t.Parallel()
	const n = 3000
	items := make([]feedItem, n)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range items {
		items[i] = feedItem{ID: fmt.Sprintf("i%04d", i), Time: base.Add(time.Duration(i) * time.Second).Format(time.RFC3339), Title: "a title long enough to fill a pipe"}
	}
	feed, err := json.Marshal(map[string]any{"items": items})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(feed)
	}))
	defer srv.Close()
	dir := t.TempDir()
	args := []string{"run", scriptPath(t, "http_collector.lua"), "--set", "url=" + srv.URL + "/feed.json"}
	env := append(os.Environ(), "STREAMCTL_STATE_DIR="+filepath.Join(dir, ".streamctl"))

	// Run 1: read a few lines, then SIGKILL.
	cmd := exec.Command(streamctlBin(t), args...)
	cmd.Dir, cmd.Env = dir, env
	var stderr syncBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	var first []string
	for len(first) < 10 {
		line, err := r.ReadString('\n')
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("run 1 printed only %q: %v\nstderr:\n%s", first, err, stderr.String())
		}
		first = append(first, line)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(r) // what it printed before the kill
	var ee *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("run 1: %v, want killed\nstderr:\n%s", err, stderr.String())
	}
	run1 := strings.Join(first, "") + string(rest)

	// Run 2: resumes after the last saved item and finishes.
	cmd = exec.Command(streamctlBin(t), args...)
	cmd.Dir, cmd.Env = dir, env
	var stderr2 bytes.Buffer
	cmd.Stderr = &stderr2
	run2, err := cmd.Output()
	if err != nil {
		t.Fatalf("run 2: %v\nstderr:\n%s", err, stderr2.String())
	}

	ids := func(out string) []string {
		var ids []string
		for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			f := strings.Fields(l)
			if len(f) < 2 {
				t.Fatalf("bad line %q", l)
			}
			ids = append(ids, f[1])
		}
		return ids
	}
	ids1, ids2 := ids(run1), ids(string(run2))
	if len(ids1) >= n {
		t.Fatalf("run 1 printed all %d items before the kill", len(ids1))
	}
	all := append(append([]string{}, ids1...), ids2...)
	repeated := len(all) - n
	switch {
	case repeated < 0 || repeated > 1:
		t.Fatalf("run 1 printed %d items, run 2 %d: want %d in all, at most one repeated", len(ids1), len(ids2), n)
	case repeated == 1 && ids1[len(ids1)-1] != ids2[0]:
		t.Fatalf("repeated item: run 1 ended with %s, run 2 began with %s", ids1[len(ids1)-1], ids2[0])
	}
	for i := range n {
		if got, want := all[i+repeated*boolInt(i >= len(ids1))], items[i].ID; got != want {
			t.Fatalf("item %d: got %s, want %s (no item may be lost or reordered)", i, got, want)
		}
	}
	t.Logf("run 1 printed %d items before SIGKILL, run 2 %d; %d repeated", len(ids1), len(ids2), repeated)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
