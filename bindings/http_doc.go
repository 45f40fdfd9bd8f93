package bindings

// httpReference is the reference of the http module (http.go), beside it as
// benthos keeps a component's spec beside the component.
var httpReference = moduleRef{
	ModuleDoc: ModuleDoc{Name: "http", Summary: "HTTP on net/http: ´http.get´ and ´http.post´ wait for a whole response while other handlers run, ´http.stream´ is a source of lines, NDJSON or server-sent events, ´http.post(url)´ is a sink, and ´http.serve´ starts a server with Lua handlers, SSE endpoints, ´/healthz´ and Prometheus ´/metrics´. The server binds to localhost unless told and keeps the run alive until ´stop()´ or a signal."},
	Classes: []Class{
		{Name: "http.RequestOptions", Doc: "The options of ´http.get´ and ´http.post´.", Fields: []Field{
			{"headers", "table<string, string>", "Request headers."},
			{"timeout", "streamctl.duration", "Per attempt; default 30s."},
			{"retries", "integer", "Retries on 5xx and connection errors, with backoff; default 0."},
		}},
		{Name: "http.StreamOptions", Doc: "The options of ´http.stream(url, opts)´.", Fields: []Field{
			{"format", "\"lines\"|\"ndjson\"|\"sse\"", "Default ´\"lines\"´."},
			{"headers", "table<string, string>", "Request headers."},
			{"reconnect", "boolean", "Reconnect when the stream ends or fails; default true."},
			{"codec", "streamctl.codec", "Of lines or SSE data."},
		}},
		{Name: "http.ServeOptions", Doc: "The options of ´http.serve{}´.", Fields: []Field{{"addr", "string", "host:port to listen on; default ´\"127.0.0.1:8080\"´."}}},
		{Name: "http.Response", Doc: "What ´http.get´ and ´http.post´ return.", Fields: []Field{
			{"status", "integer", "The status code."},
			{"headers", "table<string, string>", "Lower-case names."},
			{"body", "string", "The body."},
		}},
		{Name: "http.Request", Doc: "The request a ´srv:get´ handler gets.", Fields: []Field{
			{"method", "string", ""},
			{"path", "string", ""},
			{"query", "table<string, string>", ""},
			{"headers", "table<string, string>", "Lower-case names."},
		}},
	},
	Entries: []Doc{
		{
			Module:  "http",
			Name:    "http.get",
			Syntax:  `resp = http.get(url [, {headers=, timeout=, retries=}])`,
			Type:    "fun(url: string, opts?: http.RequestOptions): http.Response",
			Context: "top level, handler, hook; any worker",
			Text: `
Sends a GET request and waits for the whole response; while it waits, other handlers run (in a worker
state, and inside ´pcall´ or a coroutine the script created, it blocks that Lua state, so the main
state's ´srv:get´ handlers cannot answer until it returns). Returns ´{status=, headers=, body=}´:
´status´ is a number, ´headers´ have lower-case names (repeated fields joined with ´", "´) and ´body´
is a string. Every status is returned as is, 4xx and 5xx included, unless ´retries´ was given.

Options: ´headers´ (a table of strings), ´timeout´ (each attempt, from connecting to the end of the
body; default 30s) and ´retries´ (default 0): how many times a connection error, a timeout or a 5xx
status is retried, waiting with exponential backoff and jitter from 500ms. With ´retries´ a 5xx status
that persists raises. Errors name the method and the URL:
´GET http://127.0.0.1:1/feed: dial tcp 127.0.0.1:1: connect: connection refused´,
´GET http://host/feed: 503 Service Unavailable after 3 retries´,
´GET http://host/feed: timeout after 30s´, ´GET feed.json: unsupported scheme "" (want http or https)´;
and misuse raises ´http.get: url must be a string, got nil´,
´http.get: unknown option "retry" (known: headers, retries, timeout)´.
`,
			Example: `
local srv = http.serve{addr = "127.0.0.1:0"}
srv:get("/feed", function(req)
  return 200, {page = req.query.page, items = json.array{"a", "b"}}
end)

local resp = http.get("http://" .. srv:addr() .. "/feed?page=2", {timeout = "5s", retries = 2})
print(resp.status, resp.headers["content-type"], resp.body)
stop()
`,
			SeeAlso: []string{"http.post", "http.serve", "state.load"},
		},
		{
			Module:    "http",
			Name:      "http.post",
			Syntax:    `resp = http.post(url, body [, {headers=, timeout=, retries=}]); sink = http.post(url)`,
			Type:      "fun(url: string, body: string|table, opts?: http.RequestOptions): http.Response",
			Overloads: []string{"fun(url: string): streamctl.endpoint"},
			Context:   "top level, handler, hook; any worker",
			Text: `
Sends a POST request with ´body´ and waits for the whole response, like ´http.get´: other handlers
run meanwhile, and it returns ´{status=, headers=, body=}´ with the same options and errors
(´POST http://host/in: 503 Service Unavailable after 1 retry´). A string body is sent as is, a table
as JSON with ´Content-Type: application/json´, nil as an empty body.

With the URL alone, ´http.post(url)´ returns a sink instead, without waiting: each output record is
posted as JSON, one request per record, in order; a connection error, a timeout or a 5xx status is
retried 3 times with backoff, and a final non-2xx status fails the handler, naming method, URL and
status. Raises ´http.post: retries must be an integer >= 0, got -1´.
`,
			Example: `
local srv = http.serve{addr = "127.0.0.1:0"}
local url = "http://" .. srv:addr() .. "/ingest"

local resp = http.post(url, {event = "signup", user = "ada"}, {headers = {["X-Source"] = "docs"}})
print(resp.status) -- 404: http.serve answers GET only; a real collector answers 2xx

-- As a sink: handle(source, {sink = http.post("http://collector:8080/ingest")}, fn)
stop()
`,
			SeeAlso: []string{"http.get", "handle"},
		},
		{
			Module:  "http",
			Name:    "http.stream",
			Syntax:  `src = http.stream(url [, {format = "lines", headers=, reconnect = true, codec=}])`,
			Type:    "fun(url: string, opts?: http.StreamOptions): streamctl.endpoint",
			Context: "top level",
			Text: `
Returns a source reading a long-lived GET response as it arrives, without waiting: nothing is fetched
until a handler reads it, and each record is handled as soon as its line or event is complete.
´format´ is ´"lines"´ (the default: a record per line, decoded by ´codec´, default ´"text"´),
´"ndjson"´ (a JSON document per line; a line that is not JSON is bad input for the handler's
´on_error´) or ´"sse"´ (server-sent events: the value is the event's data, its lines joined with
´"\n"´, or its decoding with a ´codec´ such as ´"json"´; ´meta.event´ is the event type,
´"message"´ by default, and ´meta.id´ the last event ID). ´meta.source´ is the URL.

At the end of the body, on a connection error or on a 5xx status the source reconnects, waiting with
backoff from 500ms (or the SSE ´retry´ field) up to 30s, and logs a warning; an SSE stream resumes
with ´Last-Event-ID´. When the job keeps state, an SSE stream's last event ID is committed with the
state, and a restart sends it as ´Last-Event-ID´ on the first request (see "State commits"). ´reconnect = false´ ends the source at the end of the first body instead. A 204
No Content ends the source; a 4xx status fails the run: ´GET http://host/x: 404 Not Found´. Raises
´http.stream: format must be "lines", "ndjson" or "sse", got "xml"´.
`,
			Example: `
local srv = http.serve{addr = "127.0.0.1:0"}
srv:get("/lines", function() return 200, "first\nsecond\n" end)

local n = 0
handle(http.stream("http://" .. srv:addr() .. "/lines", {reconnect = false}), function(line)
  n = n + 1
  if n == 2 then stop() end -- the server keeps the run alive otherwise
  return n .. ": " .. line
end)
`,
			SeeAlso: []string{"server:sse", "handle"},
		},
		{
			Module:  "http",
			Name:    "http.serve",
			Syntax:  `srv = http.serve{[addr = "127.0.0.1:8080"]}`,
			Type:    "fun(opts?: http.ServeOptions): streamctl.server",
			Context: "top level (worker states get the main state's server)",
			Text: `
Starts an HTTP server listening on ´addr´ and returns it once it listens, without waiting for
requests; ´"127.0.0.1:0"´ picks a free port (see ´srv:addr()´). It binds to localhost unless told
(´addr = ":8080"´ listens on every interface). The server keeps the run alive until ´stop()´ or
SIGINT/SIGTERM, even after every source has ended; then in-flight requests finish and it closes.
Requests that arrive before the code calling ´http.serve´ first waits or ends are held, then routed:
paths registered right after ´http.serve´ never answer 404 to an early client.

Besides the paths of ´srv:get´ and ´srv:sse´ it serves ´/healthz´ (´ok´) and Prometheus ´/metrics´
with a series per handler (label ´handler´, the handler's ´name´): ´streamctl_records_in_total´,
´streamctl_records_out_total´, ´streamctl_records_errors_total´,
´streamctl_records_skipped_total´ (errors skipped by ´on_error = "skip"´) and
´streamctl_records_late_total´ (late records of its window operators), and for every Kafka topic
read by the run ´streamctl_kafka_consumer_lag´ (labels ´topic´ and ´partition´: the records not
handled yet, that is the high watermark at the last fetch minus the next offset to handle; records
fetched and waiting in the client or a handler's buffer count, and with a ´group´ a record counts
until every sink accepted its outputs), then the Go runtime and process families (´go_goroutines´,
´go_memstats_heap_alloc_bytes´, ´process_cpu_seconds_total´, ´process_resident_memory_bytes´, ...).
The values are read at scrape time. Raises
´http.serve: http: listen 127.0.0.1:8080: address already in use´ (exit 1),
´http.serve: addr "8080": missing port in address´ and
´http.serve: unknown option "port" (known: addr)´.
`,
			Example: `
local srv = http.serve{addr = "127.0.0.1:0"}
handle(iterate{1, 2, 3}, {name = "numbers", sink = function() end}, function(n) return n end)

handle(timer{every = "50ms", count = 1}, {name = "scrape"}, function()
  local metrics = http.get("http://" .. srv:addr() .. "/metrics").body
  print(metrics:match('streamctl_records_in_total{handler="numbers"} %d+'))
  stop()
end)
`,
			SeeAlso: []string{"server:get", "server:sse", "server:addr", "stop"},
		},
		{
			Module:  "http",
			Name:    "server:get",
			Syntax:  `srv:get(path, function(req) return status, body [, headers] end)`,
			Type:    "fun(path: string, fn: fun(req: http.Request): integer?, (string|table)?, table<string, string>?)",
			Context: "top level (registered once, by the main state)",
			Text: `
Registers ´fn(req)´ to answer GET and HEAD requests for ´path´ and returns at once, without waiting.
´fn´ runs as a coroutine of the main state, one per request: it may wait (´http.get´, ´sleep´) and
shares the script's globals. ´req´ has ´method´, ´path´, ´query´ (the first value of each parameter)
and ´headers´ (lower-case names). ´fn´ returns the status (default 200), the body (a string, or a
table sent as JSON with ´Content-Type: application/json´) and a table of response headers.

´path´ is a net/http pattern: exact (´"/stats"´), a subtree when it ends in ´/´, or with ´{name}´
wildcards; other methods get 405. An error in ´fn´ answers 500 with the body
´internal server error´ and nothing of the message, which is logged at ERROR level
(´msg="http handler failed" path=/stats err="job.lua:7: ..."´). Raises
´server:get: handler must be a function, got nil´ and
´server:get: http.serve: path "/stats" already has a handler´.
`,
			Example: `
local srv = http.serve{addr = "127.0.0.1:0"}
local hits = 0
srv:get("/hello/{name}", function(req)
  hits = hits + 1
  return 200, {hello = req.path:match("[^/]+$"), hits = hits}, {["Cache-Control"] = "no-store"}
end)

local resp = http.get("http://" .. srv:addr() .. "/hello/ada")
print(resp.status, resp.headers["cache-control"], resp.body)
stop()
`,
			SeeAlso: []string{"http.serve", "server:sse"},
		},
		{
			Module:  "http",
			Name:    "server:sse",
			Syntax:  `srv:sse(path, source)`,
			Type:    "fun(path: string, source: streamctl.source)",
			Context: "top level (registered once, by the main state)",
			Text: `
Streams every record of ´source´ to the clients of ´path´ as server-sent events and returns at once,
without waiting: the event's data is the value as text, tables as JSON. A client gets the events
published after it connected (no replay; ´Last-Event-ID´ is ignored), and a client more than 256
events behind is dropped so that a slow client never holds the run back. ´c:updates()´ makes an
endpoint of a cache's writes. Raises
´server:sse: source must be a source such as c:updates(), got nil´.
`,
			Example: `
local srv = http.serve{addr = "127.0.0.1:0"}
local now = cache.open("now", {memory = true})
srv:sse("/updates", now:updates())
handle(timer{every = "20ms"}, function(_, meta) now("time", time.format(meta.time)) end)

local n = 0
handle(http.stream("http://" .. srv:addr() .. "/updates", {format = "sse"}), function(data)
  n = n + 1
  if n == 2 then stop() end
  return "update " .. n .. " is a time: " .. tostring(time.parse(data) ~= nil)
end)
`,
			SeeAlso: []string{"cache:updates", "http.stream"},
		},
		{
			Module:  "http",
			Name:    "server:addr",
			Syntax:  `addr = srv:addr()`,
			Type:    "fun(): string",
			Context: "top level, handler, hook; any worker",
			Text: `
Returns the address the server listens on, such as ´"127.0.0.1:41234"´, without waiting: with
´addr = "127.0.0.1:0"´ it tells the port that was picked. Raises
´server:addr: self must be a server from http.serve, got nil (call it as srv:addr(...))´.
`,
			Example: `
local srv = http.serve{addr = "127.0.0.1:0"}
print("listening on http://" .. srv:addr())
stop()
`,
			SeeAlso: []string{"http.serve"},
		},
	},
}
