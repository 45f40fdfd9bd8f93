package bindings_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/lua"
)

// runHTTP runs src as job.lua with args.url = url and returns stdout, the
// text log and the run's error.
func runHTTP(t *testing.T, url, src string) (stdout, logs string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	var logb lockedWriter
	rt := lua.New(lua.Options{
		Script:  "job.lua",
		Source:  []byte(src),
		Modules: bindings.Modules(bindings.Deps{StateDir: t.TempDir(), Set: [][2]string{{"url", url}}}),
		Logger:  slog.New(slog.NewTextHandler(&logb, nil)),
		Stdin:   strings.NewReader(""),
		Stdout:  &out,
		Stderr:  &errb,
		Getenv:  func(string) (string, bool) { return "", false },
	})
	err = rt.Run(ctx)
	if ctx.Err() != nil {
		err = errors.Join(err, errors.New("did not end within 20s"))
	}
	return out.String(), logb.String(), err
}

// lockedWriter collects logs written from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// flaky answers 503 to the first fail requests and to every request for
// /always, 404 to /missing, and otherwise 200 with the method, the path and
// the request body. It counts requests.
type flaky struct {
	fail  int64
	calls atomic.Int64
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.calls.Add(1)
	if r.URL.Path == "/missing" {
		http.NotFound(w, r)
		return
	}
	if n <= f.fail || r.URL.Path == "/always" {
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Attempt", strings.Repeat("I", int(n)))
	io.WriteString(w, r.Method+" "+r.URL.Path+" "+string(body))
}

func TestHTTPRetries(t *testing.T) {
	for _, tt := range []struct {
		name       string
		fail       int64
		src        string
		want       string // stdout
		wantErr    string // the run's error, with URL standing for the server's URL
		wantCalled int64
	}{
		{"get 503 then 200", 1, `
local r = http.get(args.url .. "/feed", {retries = 2, timeout = "5s"})
print(r.status, r.headers["x-attempt"], r.body)`, "200\tII\tGET /feed \n", "", 2},
		{"post 503 then 200", 1, `
local r = http.post(args.url .. "/in", {n = 1}, {retries = 1})
print(r.status, r.body)`, "200\tPOST /in {\"n\":1}\n", "", 2},
		{"no retries: a 503 is returned", 1, `
local r = http.get(args.url .. "/feed")
print(r.status, r.body)`, "503\ttry later\n\n", "", 1},
		{"get 503 persists", 0, `http.get(args.url .. "/always", {retries = 1})`,
			"", "job.lua:1: GET URL/always: 503 Service Unavailable after 1 retry", 2},
		{"post 503 persists", 0, `http.post(args.url .. "/always", "x", {retries = 1})`,
			"", "job.lua:1: POST URL/always: 503 Service Unavailable after 1 retry", 2},
		{"a 4xx is not retried", 0, `print(http.get(args.url .. "/missing", {retries = 3}).status)`, "404\n", "", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &flaky{fail: tt.fail}
			srv := httptest.NewServer(f)
			defer srv.Close()
			got, logs, err := runHTTP(t, srv.URL, tt.src)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("%v\nlogs:\n%s", err, logs)
			case tt.wantErr != "" && (err == nil || err.Error() != strings.ReplaceAll(tt.wantErr, "URL", srv.URL)):
				t.Fatalf("error %v, want %s", err, strings.ReplaceAll(tt.wantErr, "URL", srv.URL))
			}
			if got != tt.want {
				t.Errorf("stdout %q, want %q", got, tt.want)
			}
			if n := f.calls.Load(); n != tt.wantCalled {
				t.Errorf("%d requests, want %d", n, tt.wantCalled)
			}
		})
	}
}

func TestHTTPErrors(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close) // after the parallel subtests
	for _, tt := range []struct{ name, src, want string }{
		{"connection refused", `http.get("http://127.0.0.1:1/feed")`,
			"job.lua:1: GET http://127.0.0.1:1/feed: dial tcp 127.0.0.1:1: connect: connection refused"},
		{"timeout", `http.get(args.url .. "/slow", {timeout = "50ms"})`,
			"job.lua:1: GET " + slow.URL + "/slow: timeout after 50ms"},
		{"not a URL", `http.post("feed.json", "x")`,
			`job.lua:1: POST feed.json: unsupported scheme "" (want http or https)`},
		{"password redacted", `http.get("http://user:secret@127.0.0.1:1/")`,
			"job.lua:1: GET http://user:xxxxx@127.0.0.1:1/: dial tcp 127.0.0.1:1: connect: connection refused"},
		{"url nil", `http.get()`, "job.lua:1: http.get: url must be a string, got nil"},
		{"unknown option", `http.get("http://x", {retry = 1})`,
			`job.lua:1: http.get: unknown option "retry" (known: headers, retries, timeout)`},
		{"bad timeout", `http.post("http://x", "b", {timeout = "soon"})`,
			`job.lua:1: http.post: timeout must be a duration like "500ms" or a number of seconds, got "soon"`},
		{"negative retries", `http.get("http://x", {retries = -1})`,
			"job.lua:1: http.get: retries must be an integer >= 0, got -1"},
		{"stream format", `http.stream("http://x", {format = "xml"})`,
			`job.lua:1: http.stream: format must be "lines", "ndjson" or "sse", got "xml"`},
		{"serve option", `http.serve{port = 8080}`, `job.lua:1: http.serve: unknown option "port" (known: addr)`},
		{"serve addr", `http.serve{addr = "8080"}`, `job.lua:1: http.serve: addr "8080": missing port in address`},
		{"get handler nil", `http.serve{addr = "127.0.0.1:0"}:get("/x")`,
			"job.lua:1: server:get: handler must be a function, got nil"},
		{"get called with a dot", `local s = http.serve{addr = "127.0.0.1:0"}; s.get("/x", print)`,
			`job.lua:1: server:get: self must be a server from http.serve, got string "/x" (call it as srv:get(...))`},
		{"path twice", `local s = http.serve{addr = "127.0.0.1:0"}; s:get("/x", print); s:get("/x", print)`,
			`job.lua:1: server:get: http.serve: path "/x" already has a handler`},
		{"sse without a source", `http.serve{addr = "127.0.0.1:0"}:sse("/u")`,
			"job.lua:1: server:sse: source must be a source such as c:updates(), got nil"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, logs, err := runHTTP(t, slow.URL, tt.src)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v\nwant  %s\nlogs:\n%s", err, tt.want, logs)
			}
		})
	}
}

// TestHTTPServerGet: a handler sees the request, may wait, and answers
// with a status, a body (a table as JSON) and headers.
func TestHTTPServerGet(t *testing.T) {
	got, logs, err := runHTTP(t, "", `
local srv = http.serve{addr = "127.0.0.1:0"}
srv:get("/users/{id}", function(req)
  sleep("5ms") -- handlers may wait
  return 201, {method = req.method, path = req.path, q = req.query.q, h = req.headers["x-h"]},
    {["X-Answer"] = "42"}
end)
srv:get("/text", function() return nil, "plain" end)
local base = "http://" .. srv:addr()
local r = http.get(base .. "/users/7?q=a+b&q=c", {headers = {["X-H"] = "v"}})
print(r.status, r.headers["content-type"], r.headers["x-answer"], r.body)
r = http.get(base .. "/text")
print(r.status, r.body)
print(http.get(base .. "/healthz").body, http.post(base .. "/text", "").status)
stop()
`)
	if err != nil {
		t.Fatalf("%v\nlogs:\n%s", err, logs)
	}
	want := "201\tapplication/json\t42\t{\"method\":\"GET\",\"path\":\"/users/7\",\"q\":\"a b\",\"h\":\"v\"}\n" +
		"200\tplain\n" +
		"ok\t405\n"
	if got != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
	}
}

// TestHTTPServerHandlerError: an error in a handler answers 500 with a
// fixed body that tells nothing of the error, which goes to the log.
func TestHTTPServerHandlerError(t *testing.T) {
	got, logs, err := runHTTP(t, "", `
local srv = http.serve{addr = "127.0.0.1:0"}
srv:get("/boom", function(req)
  error("secret detail " .. req.query.token)
end)
local r = http.get("http://" .. srv:addr() .. "/boom?token=t0k3n")
print(r.status, r.headers["content-type"], r.body)
r = http.get("http://" .. srv:addr() .. "/healthz") -- the server goes on
print(r.status, r.body)
stop()
`)
	if err != nil {
		t.Fatalf("%v\nlogs:\n%s", err, logs)
	}
	if want := "500\ttext/plain; charset=utf-8\tinternal server error\n200\tok\n"; got != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(logs, `level=ERROR msg="http handler failed" path=/boom url="/boom?token=t0k3n" err="job.lua:4: secret detail t0k3n"`) {
		t.Errorf("the handler error is not logged:\n%s", logs)
	}
	if strings.Contains(logs, "stack traceback") || strings.Contains(logs, "goroutine ") {
		t.Errorf("the log holds a stack trace:\n%s", logs)
	}
}

// TestHTTPStreamFormats reads lines, NDJSON (with a bad line skipped) and
// SSE with a JSON codec from the script's own server.
func TestHTTPStreamFormats(t *testing.T) {
	got, logs, err := runHTTP(t, "", `
local srv = http.serve{addr = "127.0.0.1:0"}
local base = "http://" .. srv:addr()
srv:get("/ndjson", function() return 200, '{"n":1}\nnot json\n{"n":2}\n' end)
srv:get("/sse", function()
  return 200, 'event: tick\nid: 7\ndata: {"n":\ndata: 3}\n\n', {["Content-Type"] = "text/event-stream"}
end)
local left = 2
local function done()
  left = left - 1
  if left == 0 then stop() end
end
handle(http.stream(base .. "/ndjson", {format = "ndjson", reconnect = false}), {on_error = "skip"}, function(v)
  print("ndjson", v.n)
  if v.n == 2 then done() end
end)
handle(http.stream(base .. "/sse", {format = "sse", codec = "json", reconnect = false}), function(v, meta)
  print("sse", v.n, meta.event, meta.id)
  done()
end)
`)
	if err != nil {
		t.Fatalf("%v\nlogs:\n%s", err, logs)
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	var ndjson, sse []string
	for _, l := range lines {
		if strings.HasPrefix(l, "sse") {
			sse = append(sse, l)
		} else {
			ndjson = append(ndjson, l)
		}
	}
	if strings.Join(ndjson, "|") != "ndjson\t1|ndjson\t2" || strings.Join(sse, "|") != "sse\t3\ttick\t7" {
		t.Errorf("stdout:\n%s", got)
	}
	if !strings.Contains(logs, "record skipped") || !strings.Contains(logs, "/ndjson:2") {
		t.Errorf("the bad NDJSON line is not logged with its position:\n%s", logs)
	}
}
