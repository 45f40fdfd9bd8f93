package bindings

import (
	"fmt"
	"sort"
	"strings"
)

// The Lua API reference as data (style.md section 3). `streamctl docs` prints
// it and docs/reference.md is generated from it; docs_test.go fails when a Lua
// function lacks an entry, an entry names nothing, an example fails to run,
// or docs/reference.md is stale. Regenerate that file with:
//
//	go generate ./bindings
//
//go:generate go test -run ^TestReferenceUpToDate$ -update .

// Doc documents one Lua function or value, in the format of lua-nginx-module's
// README: a syntax line with results left of `=` and optional arguments in
// brackets, the contexts it may be used in, a text whose first sentence says
// whether the call waits and which names what it raises, a runnable example
// and related names.
type Doc struct {
	// Module is the lua.Module that installs the name ("core", "json").
	Module string
	// Name is the Lua name: "handle", "json.encode", "cache:incr".
	Name string
	// Syntax is the call as code: `text = json.encode(value)`.
	Syntax string
	// Context lists where the call is allowed: top level, handler, hook,
	// pipe (streamctl pipe expressions) and worker (worker states).
	Context string
	// Text is Markdown.
	Text string
	// Example is a complete Lua script that runs and ends on its own, with
	// an empty stdin, in a fresh directory.
	Example string
	// SeeAlso names related entries.
	SeeAlso []string
}

// Concept is a page of prose shown before the reference, like the nginx
// README's "Data Sharing within an Nginx Worker".
type Concept struct {
	Title string
	// Text is Markdown, without the title.
	Text string
}

// ModuleDoc introduces the entries of one module.
type ModuleDoc struct {
	Name    string
	Summary string
	// Also names entries of other modules that belong here too (file{} is
	// a source and a sink); `streamctl docs MODULE` prints them in full.
	Also []string
}

// bq stands for a backtick in the texts below: Go raw strings cannot hold one.
const bq = "´"

func md(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), bq, "`") }

// DocModules returns the documented modules in reference order.
func DocModules() []ModuleDoc {
	return []ModuleDoc{
		{Name: "core", Summary: "Handlers, hooks and the other globals of a script."},
		{Name: "sources", Summary: "Where records come from. A source does nothing until a handler is bound to it with ´handle´."},
		{Name: "sinks", Summary: "Where a handler's outputs go (´opts.sink´; the default is ´stdout()´). A sink may also be any Lua function ´function(value, key, meta)´, and ´file{}´ is a sink too.", Also: []string{"file"}},
		{Name: "codec", Summary: "Codecs built from options. Codecs are otherwise named by a string (´\"json\"´) or written in Lua as a table ´{encode=, decode=}´: see \"Codecs and JSON values\"."},
		{Name: "json", Summary: "JSON values in Lua, with the lua-cjson conventions (´json.null´, array marks)."},
		{Name: "time", Summary: "Times are Unix seconds as floats; layouts are strftime (´\"%Y-%m-%d %H:%M:%S\"´)."},
		{Name: "log", Summary: "Structured logs on stderr, through the run's logger (´--log-format text|json´, ´--log-level´)."},
		{Name: "pipe", Summary: "Operators for ´handle(source, {pipe = {...}}, fn)´, applied in order to each record before the handler's function. Each operator keeps its own state: make one per handler."},
		{Name: "cache", Summary: "Persistent key/value caches: one goleveldb database per name under the state directory (´--state-dir´, default ´./.streamctl/´), shared by every handler and worker of the process and by later runs. A cache is also a sink (´{sink = c}´: each record's ´value, key´ is stored and published) and ´c(key, value)´ stores and publishes one entry to ´c:updates()´. Keys are strings, numbers, booleans or lists of them (tuples), sorted by type (booleans, numbers, strings, tuples), then by value; values are any Lua value without functions or cycles and round-trip exactly. A second process opening a cache exits 75; a damaged one names ´streamctl state repair NAME´."},
		{Name: "kafka", Summary: "Kafka topics as sources and sinks, on franz-go. Brokers come from ´conf.brokers´, else ´--brokers´ or ´$STREAMCTL_BROKERS´, else ´127.0.0.1:9092´ (´streamctl dev-broker´). Consuming is at-least-once: an input's offset is committed only after every sink accepted its outputs, producer acks included; commits happen every second, on rebalance and at shutdown. Records of one partition are processed in order, also with ´workers = N´."},
		{Name: "state", Summary: "Saved state for collectors run from cron: load it at start, save after each unit of progress, so a crash resumes at the last save. Each name is its own database (´state/NAME´ in ´streamctl state ls´)."},
		{Name: "http", Summary: "HTTP on net/http: ´http.get´ and ´http.post´ wait for a whole response while other handlers run, ´http.stream´ is a source of lines, NDJSON or server-sent events, ´http.post(url)´ is a sink, and ´http.serve´ starts a server with Lua handlers, SSE endpoints, ´/healthz´ and Prometheus ´/metrics´. The server binds to localhost unless told and keeps the run alive until ´stop()´ or a signal."},
		{Name: "window", Summary: "Event-time windows as pipe operators (´handle(src, {pipe = {window.tumbling{...}}}, fn)´): tumbling, hopping, sliding and session windows per key, with a watermark (greatest event time seen minus ´grace´), late records sent to a sink, and ´emit = \"final\"´ or ´\"update\"´. Outputs are ´{key =, start =, [\"end\"] =, value =}´. Open windows persist in a cache (´\"windows\"´ of the state directory), so a restart or a signal loses none; a finite input's end closes them all. Window operators run in the main state: use them in handlers with ´workers = 1´."},
		{Name: "checkpoint", Summary: "Stream synchronization, as Slipstream's ´Checkpoint´: a dependent stream (activities) pulses its event time and position, the dependency streams it is enriched from (weather) heartbeat theirs; when a dependency lags by more than its threshold the dependent is paused, and when it catches up the dependent resumes and may seek back to reprocess what was enriched with stale data. The checkpoint persists in a cache (´\"checkpoints\"´ of the state directory)."},
	}
}

// Concepts returns the concept pages, in order.
func Concepts() []Concept {
	out := make([]Concept, len(concepts))
	for i, c := range concepts {
		out[i] = Concept{Title: c.Title, Text: md(c.Text)}
	}
	return out
}

// Docs returns the reference entries, in reference order.
func Docs() []Doc {
	out := make([]Doc, len(docs))
	for i, d := range docs {
		d.Syntax = strings.TrimSpace(d.Syntax)
		d.Text = md(d.Text)
		d.Example = strings.TrimSpace(d.Example)
		out[i] = d
	}
	return out
}

// Markdown renders the entry.
func (d Doc) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", d.Name)
	fmt.Fprintf(&b, "**syntax:** `%s`\n\n", d.Syntax)
	fmt.Fprintf(&b, "**context:** %s\n\n", d.Context)
	b.WriteString(d.Text)
	b.WriteString("\n\n```lua\n")
	b.WriteString(d.Example)
	b.WriteString("\n```\n")
	if len(d.SeeAlso) > 0 {
		b.WriteString("\nSee also: ")
		for i, s := range d.SeeAlso {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "`%s`", s)
		}
		b.WriteString(".\n")
	}
	return b.String()
}

// moduleMarkdown renders one module; with also, the entries of m.Also too.
func moduleMarkdown(m ModuleDoc, also bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n%s\n", m.Name, md(m.Summary))
	all := Docs()
	for _, d := range all {
		if d.Module == m.Name {
			b.WriteString("\n")
			b.WriteString(d.Markdown())
		}
	}
	if also {
		for _, name := range m.Also {
			for _, d := range all {
				if d.Name == name {
					b.WriteString("\n")
					b.WriteString(d.Markdown())
				}
			}
		}
	}
	return b.String()
}

// IndexMarkdown renders what `streamctl docs` prints without an argument:
// the concept pages, then an index of the modules and their entries.
func IndexMarkdown() string {
	var b strings.Builder
	b.WriteString("# streamctl Lua API\n")
	for _, c := range Concepts() {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", c.Title, c.Text)
	}
	b.WriteString("\n## Modules\n\n")
	b.WriteString("`streamctl docs MODULE` prints a module's reference and `streamctl docs NAME` one entry (`streamctl docs json.encode`); docs/reference.md holds all of it.\n\n")
	all := Docs()
	for _, m := range DocModules() {
		var names []string
		for _, d := range all {
			if d.Module == m.Name {
				names = append(names, d.Name)
			}
		}
		names = append(names, m.Also...)
		fmt.Fprintf(&b, "- `%s`: %s\n", m.Name, strings.Join(names, ", "))
	}
	return b.String()
}

// ReferenceMarkdown renders the whole reference: concept pages, then every
// module's entries. It is the content of docs/reference.md.
func ReferenceMarkdown() string {
	var b strings.Builder
	b.WriteString("# streamctl Lua API reference\n\n")
	b.WriteString("<!-- Generated from bindings/docs.go by `go generate ./bindings`; do not edit. -->\n\n")
	b.WriteString("The same text is built into the binary: `streamctl docs` prints the concept pages and an index, `streamctl docs MODULE` a module.\n\n")
	b.WriteString("Contents: ")
	var toc []string
	for _, c := range Concepts() {
		toc = append(toc, fmt.Sprintf("[%s](#%s)", c.Title, anchor(c.Title)))
	}
	for _, m := range DocModules() {
		toc = append(toc, fmt.Sprintf("[%s](#%s)", m.Name, anchor(m.Name)))
	}
	b.WriteString(strings.Join(toc, " · "))
	b.WriteString("\n")
	for _, c := range Concepts() {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", c.Title, c.Text)
	}
	for _, m := range DocModules() {
		b.WriteString("\n")
		b.WriteString(moduleMarkdown(m, false))
	}
	return b.String()
}

// anchor approximates GitHub's heading anchors.
func anchor(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// DocMarkdown returns what `streamctl docs TOPIC` prints: a module's entries
// ("json", "sources"), or one entry ("handle", "json.encode"). An unknown
// topic is an error listing the modules.
func DocMarkdown(topic string) (string, error) {
	for _, m := range DocModules() {
		if m.Name == topic {
			return moduleMarkdown(m, true), nil
		}
	}
	for _, d := range Docs() {
		if d.Name == topic {
			return d.Markdown(), nil
		}
	}
	var names []string
	for _, m := range DocModules() {
		names = append(names, m.Name)
	}
	return "", fmt.Errorf("no module or function %q (modules: %s; or a function name such as handle or json.encode)", topic, strings.Join(names, ", "))
}

// DocNames returns the names of every entry, sorted.
func DocNames() []string {
	var names []string
	for _, d := range docs {
		names = append(names, d.Name)
	}
	sort.Strings(names)
	return names
}

var concepts = []Concept{
	{Title: "Handlers and coroutines", Text: `
A script's top level runs once. It opens sources and sinks and registers handlers with ´handle´;
nothing is read while it runs. Then, with no ´run()´ to call: 1. ´on_start´ hooks run; 2. sources
start and every handler processes records until each finite source is exhausted and drained, ´stop()´
is called or the process gets SIGINT/SIGTERM; 3. ´on_stop´ hooks run; 4. sinks are flushed and closed.

One main Lua state runs the top level (itself as a coroutine, so it may wait), every handler and every
hook, each as a coroutine scheduled by Go. Lua code between two waiting calls runs atomically, so plain
globals and upvalues are shared safely: a handler counts, an ´on_stop´ hook prints the total.
Waiting calls (´sleep´, ´http.get´, ´http.post´, ´topic:send´, and ´pipe.throttle´ which sleeps) yield
the calling coroutine and let the others run; every entry of the reference says whether it waits. When
the run stops (a signal, ´stop()´), a handler or top-level loop waiting in one is unwound: its record is
not acked, so an at-least-once source delivers it again; ´on_stop´ hooks may still wait. Sources, sinks and codecs run in their
own goroutines, in parallel with Lua.

A handler gets one record at a time: the function returns (or ´emit´s) its outputs, which go to every
sink of the handler, in order, before the handler gets the next record. Several handlers may share one
source object: each sees every record, and the slowest applies back-pressure to the source through a
bounded buffer.

Coroutines the script creates itself (´coroutine.wrap´) are plain Lua coroutines: a waiting call
inside one blocks the whole main state until it returns, and ´coroutine.yield´ is only for them.

Output order: ´print´, ´emit´ outside handlers and every ´stdout{}´ sink, whatever its codec, write
through one buffer, so their lines come out in the order they were written; ´stderr()´ and ´file{}´
have their own buffers. Buffers are flushed whenever the scheduler is idle, so output is never held
back while the script waits, and before any cache write or ´state.save´ is made durable.
`},
	{Title: "Workers and shared state", Text: `
´handle(source, {workers = N}, fn)´ with N > 1 gives that handler N extra Lua states running in
parallel on separate cores. Each worker state runs the script's top level again (like k6's init stage)
to get its own copy of the functions. That run is silent: ´print´ and ´emit´ do nothing there, ´stop´
is ignored, ´on_start´ and ´on_stop´ register nothing, and every source and sink opened at the top
level resolves, by its position among the calls of its kind, to the one object the main state opened,
so nothing is opened or started twice. Keep the top level deterministic (the same calls in the same
order in every state), otherwise the run fails with
´worker state: the top level created timer#2, which the main state did not; keep the top level deterministic´.

Globals in worker states are per worker: a counter in a worker's handler counts that worker's records
only. Share through a cache instead: ´c:incr´ and ´c:update´ are atomic across workers. Window
operators keep their windows in the main state: use them in handlers with ´workers = 1´.

Records go to the workers in turn; with ´key = function(value, meta) return k end´, records with equal
keys go to the same worker, in order. Outputs of different workers are not ordered with each other.

A worker state runs one record at a time and does not yield: a waiting call (´sleep´, ´pipe.throttle´)
blocks that worker only. ´pipe.batch{every = ...}´ flushes by time only in handlers with ´workers = 1´;
in workers it flushes by size and at the end of input. A Lua state is never used by two goroutines at
once.
`},
	{Title: "Codecs and JSON values", Text: `
Records are plain values: nil, booleans, numbers, strings and tables of them (´json.null´ included; no
functions, coroutines, other userdata or cycles). Sources decode bytes into records with a codec and
sinks encode records; the ´codec´ option of ´stdin´, ´file´, ´exec´, ´stdout´ and ´stderr´ takes:

| codec | reads | writes |
|---|---|---|
| ´"text"´ (default) | one string per line: the bytes before each ´"\n"´ (a ´"\r"´ before it stays) | strings as they are, numbers as Lua prints them, booleans, tables as compact JSON; one per line |
| ´"json"´ | one JSON document per line (RFC 8259, strictly) | one compact JSON document per line |
| ´"csv"´ | a header row, then a table per row (column name -> string) | a header from the first record's keys, then rows (missing keys empty; a key the header lacks is an error) |
| ´"bytes"´ | raw chunks of up to 64 KiB (boundaries are arbitrary) | strings raw, no separator |
| ´"msgpack"´ | concatenated msgpack values | one msgpack value per record |
| ´avro{schema = ...}´ | concatenated binary Avro datums | one datum per record |
| ´{encode = fn, decode = fn}´ | each line, passed to ´decode(line)´ | the string ´encode(value)´ returns, as one line |

A custom Lua codec frames records by lines: ´decode´ receives each line as a string and returns the
record; ´encode´ returns a string that is written as one line. Either function may be left out when the
codec is used only to read or only to write.

Input a codec cannot decode (or that a Lua ´decode´ raises on) is bad input: the handler's ´on_error´
decides, and with the default ´"stop"´ the run exits 3 with ´streamctl: stdin:12: invalid JSON: ...´.

Text is bytes. Lua strings hold any bytes and nothing converts them to valid UTF-8 on the way in or
out: a Latin-1 line stays Latin-1, ´string.upper´ and ´string.lower´ change the ASCII letters only, and
JSON output writes a string's bytes as they are (a byte that is not UTF-8 is not replaced by U+FFFD).
The text codec keeps a ´"\r"´ before ´"\n"´ in the line, as awk, grep and ´jq -R´ do, so CRLF lines are
written back as they came; ´line:gsub("\r$", "")´ drops it.

JSON input is RFC 8259, strictly, on every path (the json codec of sources and Kafka values,
´json.decode´, ´streamctl pipe -i json´ whatever the expression reads): numbers such as ´+1´, ´01´,
´.5´, ´2.´, ´1eE2´, ´NaN´ or ´Infinity´, escapes other than ´\" \\ \/ \b \f \n \r \t \uXXXX´, raw
control characters (a tab) in strings, trailing commas, comments, single quotes and trailing data are
errors that name the column: ´invalid JSON: invalid number "-2." (column 2)´. It accepts what
encoding/json.Valid accepts, within two limits RFC 8259 allows: values nested deeper than 300 levels,
and numbers beyond float64's range (´1e400´), are errors too. Bytes that are not UTF-8 inside strings
are accepted and kept. A lone surrogate escape (´"\ud800"´, no low surrogate after it) becomes the three
bytes that would encode it (ED A0 80) and is written back as ´"\ud800"´; a number too small for a
float64 (´1e-400´) reads as 0. The reference is JSONTestSuite (nst/JSONTestSuite): every document it
says must be rejected is, every one it says must be accepted is, and reads back as the same value.

JSON values in Lua follow lua-cjson:

- JSON null decodes to the sentinel ´json.null´ inside tables (truthy, equal only to itself, encodes
  back to null); a record that is just ´null´ is nil.
- Tables decoded from JSON arrays carry an array mark, so ´[]´ round-trips; ´json.array(t)´ marks a
  table built in Lua. Other tables with exactly the keys 1..n encode as arrays; an unmarked empty table
  encodes as ´{}´; a table with holes (´{1, nil, 3}´) encodes as an object with string keys.
- Key order: a record's table built from JSON (and from CSV, msgpack and Avro) keeps the document's key
  order (gopher-lua tables keep insertion order), and tables built in Lua encode in insertion order.
- Numbers: Lua numbers are float64. Integral values are written without a decimal point (´3´, and
  ´1.0´ becomes ´1´), so integers stay integers. Integers beyond 2^53 (ids, nanosecond timestamps),
  which a float64 cannot hold exactly, keep their digits while the record passes through unchanged:
  the record itself, its fields in place or copied into a new table (´{id = v.id}´), and in
  ´streamctl pipe´ the field globals, are written with the digits they were read with (JSON, and
  msgpack integers). Arithmetic on them is float64 arithmetic, and a computed number is written as the
  float64 it is, unless it equals such an integer's float64 (´v.id + 0´): then with its digits. When one record holds two such integers that the same float64 holds (…992 and …993),
  only those still in their place keep their digits. The digits are remembered for the record being
  processed: a table kept in a Lua variable for a later record holds the float64, while the cache
  stores integers that fit an int64 exactly.
`},
	{Title: "Errors and exit codes", Text: `
Errors are one line on stderr, naming the script line and the function:
´streamctl: job.lua:3: timer: every must be a duration like "1s" or a number of seconds, got nil´.
An error in a handler also names the record: ´streamctl: job.lua:2: boom (record stdin:2)´. Option
tables are checked: an unknown key is an error that lists the known ones.

Each handler's ´on_error´ option decides what a failing record does (an error raised by the handler,
its pipe operators or a sink, or bad input):

- ´"stop"´ (the default): the run stops, on_stop hooks run, and streamctl exits 1 (3 for bad input).
- ´"skip"´: the record is dropped with a warning in the log (the first 10 per handler, then a count at
  the end) and the run goes on.
- a sink (´stderr{codec = "json"}´, ´file{...}´, a function): it receives ´{error = message, value =
  record, meta = meta}´ (for bad input ´value´ is the undecoded text) and the run goes on.

An error at the top level or in a hook ends the run with exit 1.

| exit code | meaning |
|---|---|
| 0 | ok |
| 1 | runtime error: a script error, a source or sink failure (a missing file, a command that exits non-zero) |
| 2 | usage error or script compile error (´job.lua:2: syntax error near '='´) |
| 3 | bad input under ´on_error = "stop"´ |
| 130 | interrupted by SIGINT or SIGTERM |

On the first SIGINT or SIGTERM sources stop, records already read are drained through handlers and
sinks, ´on_stop´ hooks run, output is flushed and streamctl exits 130; a second signal exits 130 at once.
`},
}

var docs = []Doc{
	// core
	{
		Module:  "core",
		Name:    "handle",
		Syntax:  `handle(source, [opts,] fn)`,
		Context: "top level (a worker state gets its own copy of fn)",
		Text: `
Registers ´fn(value, meta)´ as the handler of ´source´'s records and returns at once, without waiting:
handlers start after the top level has finished. ´value´ is the decoded record; ´meta´ is a table with
´source´ (´"stdin"´, ´"file:PATH"´, ´"timer"´, ´"iterate"´, ´"exec:PROG"´), ´time´ when the source
has one (Unix seconds) and ´key´ when the record has one. The function's return values are the output:
´return v´ or ´return v, key´; nil outputs nothing, and ´emit´ outputs any number of records. Outputs
go to every sink in ´opts.sink´, in order.

´opts´: ´name´ (in logs; default ´"handlerN"´); ´sink´ (a sink, a function ´function(value, key,
meta)´ or a list of them; default ´stdout()´); ´pipe´ (a list of pipe operators applied before
´fn´); ´workers´ (default 1; see "Workers and shared state"); ´key´ (´function(value, meta)´ returning
the key that picks the worker); ´on_error´ (´"stop"´, the default, ´"skip"´ or a sink: see "Errors
and exit codes"). Several handlers may share one source object; each sees every record.

Raises ´handle: only allowed at the top level of the script´,
´handle: source must be a source such as stdin() or timer{every=1}, got number´,
´handle: stdout is a sink, not a source´,
´handle: unknown option "sinks" (known: key, name, on_error, pipe, sink, workers)´,
´handle: on_error must be "stop" or "skip", got "ignore"´.
`,
		Example: `
handle(iterate{"a", "b"}, function(line, meta)
  return line:upper() .. " from " .. meta.source
end)

handle(iterate{1, 2, 3}, {name = "squares", sink = {stdout(), stderr()}}, function(n)
  return n * n
end)
`,
		SeeAlso: []string{"emit", "stop", "on_stop", "stdout"},
	},
	{
		Module:  "core",
		Name:    "emit",
		Syntax:  `emit(value [, key])`,
		Context: "handler, hook, top level; any worker (does nothing at a worker state's top level)",
		Text: `
Writes ´value´ (with ´key´) to every sink of the running handler and returns nothing; it does not
wait. Call it any number of times to turn one record into many; the handler's return values are output
after them. Outside a handler (the top level, ´on_start´ and ´on_stop´ hooks) it writes to stdout.
´emit(nil)´ does nothing. Raises what a sink raises, such as
´output: function: value cannot be a record´ for a value that is not a record.
`,
		Example: `
handle(iterate{"to be", "or not"}, function(line)
  for word in line:gmatch("%S+") do emit(word) end
end)
`,
		SeeAlso: []string{"handle"},
	},
	{
		Module:  "core",
		Name:    "stop",
		Syntax:  `stop()`,
		Context: "handler, hook, top level; any worker (ignored at a worker state's top level)",
		Text: `
Ends the job gracefully and returns at once, without waiting: sources stop, records already read are
still handled and written, ´on_stop´ hooks run, sleeping calls wake up, and streamctl exits 0. Called
at the top level, it ends the job before any record is read. Never raises.
`,
		Example: `
local n = 0
handle(timer{every = "10ms"}, function()
  n = n + 1
  if n == 3 then stop() end
  return "tick " .. n
end)
`,
		SeeAlso: []string{"on_stop"},
	},
	{
		Module:  "core",
		Name:    "on_start",
		Syntax:  `on_start(fn)`,
		Context: "top level (ignored in worker states)",
		Text: `
Registers ´fn()´ to run once before sources start, after the top level, and returns at once without
waiting. ´fn´ runs as a coroutine of the main state: it may wait (´sleep´) and ´emit´ (to stdout); an
error in it ends the run with exit 1. Raises ´on_start: fn must be a function, got number´.
`,
		Example: `
on_start(function() print("starting") end)
handle(iterate{1, 2}, function(n) return n end)
`,
		SeeAlso: []string{"on_stop"},
	},
	{
		Module:  "core",
		Name:    "on_stop",
		Syntax:  `on_stop(fn)`,
		Context: "top level (ignored in worker states)",
		Text: `
Registers ´fn()´ to run once after every handler has drained, and returns at once without waiting.
It runs when the input ends, after ´stop()´, after a handler failed and on SIGINT/SIGTERM (not when
the top level failed). ´fn´ runs as a coroutine of the main state: it may wait and ´emit´ (to stdout),
typically to print totals. Raises ´on_stop: fn must be a function, got nil´.
`,
		Example: `
local total = 0
handle(iterate{1, 2, 3}, function(n) total = total + n end)
on_stop(function() print("total", total) end)
`,
		SeeAlso: []string{"on_start", "stop"},
	},
	{
		Module:  "core",
		Name:    "sleep",
		Syntax:  `sleep(d)`,
		Context: "top level, handler, hook; any worker",
		Text: `
Waits ´d´ (a number of seconds or a string such as ´"500ms"´ or ´"1h30m"´) without blocking other
handlers: the calling coroutine yields, and the other handlers, hooks and the top level run meanwhile.
In a worker state, and in a coroutine the script created itself, it blocks that Lua state instead. When
the job stops (´stop()´, a signal) sleeping calls return at once. Raises
´sleep: duration must be a duration like "500ms" or a number of seconds, got "abc"´ and
´sleep: duration must not be negative, got -1´.
`,
		Example: `
handle(iterate{"a", "b"}, function(v)
  sleep("10ms")
  return v
end)
handle(iterate{"c"}, function(v) return v end) -- runs while the first one sleeps
`,
		SeeAlso: []string{"pipe.throttle", "timer"},
	},
	{
		Module:  "core",
		Name:    "env",
		Syntax:  `value = env(name [, default])`,
		Context: "top level, handler, hook; any worker",
		Text: `
Returns the environment variable ´name´, or ´default´ (nil if not given) when it is not set; it does not
wait. A variable set to the empty string is returned as ´""´. Raises
´env: name must be a string, got number´.
`,
		Example: `
local level = env("STREAMCTL_EXAMPLE_LEVEL", "info")
print("level", level)
`,
		SeeAlso: []string{"args"},
	},
	{
		Module:  "core",
		Name:    "print",
		Syntax:  `print(...)`,
		Context: "top level, handler, hook; any worker (does nothing at a worker state's top level)",
		Text: `
Writes its arguments, converted with ´tostring´ and separated by tabs, as one line to stdout; it does
not wait. It replaces Lua's ´print´: the line goes through the buffer of the default ´stdout()´ sink, so
it keeps its place among the outputs written there. Raises ´print: ...´ when stdout cannot be written.
`,
		Example: `
print("answer", 42, nil)
handle(iterate{"record"}, function(v) print("before", v) return v end)
`,
		SeeAlso: []string{"stdout", "log.info"},
	},
	{
		Module:  "core",
		Name:    "string.upper",
		Syntax:  `s = string.upper(text)` + "\n" + `s = text:upper()`,
		Context: "top level, handler, hook, pipe; any worker",
		Text: `
Returns ´text´ with the ASCII letters a-z made upper case and every other byte as it is; it does not
wait. Lua strings are bytes: as in Lua itself (the C locale), ´"café"´ becomes ´"CAFé"´ and a byte
that is not UTF-8 (´"caf\233"´, Latin-1) stays that byte. It replaces gopher-lua's version, which
turned such bytes into U+FFFD. Raises ´bad argument #1 to upper (string expected, got nil)´.
`,
		Example: `
print(string.upper("status: ok"), ("caf\233"):upper() == "CAF\233")
`,
		SeeAlso: []string{"string.lower"},
	},
	{
		Module:  "core",
		Name:    "string.lower",
		Syntax:  `s = string.lower(text)` + "\n" + `s = text:lower()`,
		Context: "top level, handler, hook, pipe; any worker",
		Text: `
Returns ´text´ with the ASCII letters A-Z made lower case and every other byte as it is; it does not
wait. Like ´string.upper´, it works on bytes: ´"ÉTÉ"´ becomes ´"ÉtÉ"´. Raises
´bad argument #1 to lower (string expected, got nil)´.
`,
		Example: `
print(("GET /Index.HTML"):lower())
`,
		SeeAlso: []string{"string.upper"},
	},
	{
		Module:  "core",
		Name:    "args",
		Syntax:  `value = args.name; value = args[i]`,
		Context: "top level, handler, hook; any worker",
		Text: `
A table of the command line's script arguments; reading it does not wait. ´--set k=v´ sets ´args.k´ to
the string ´"v"´, and the arguments after ´--´ are ´args[1]´ to ´args[#args]´, as strings:
´streamctl run job.lua --set name=world -- a b´.
`,
		Example: `
local name = args.name or "nobody"
print("hello " .. name, #args)
`,
		SeeAlso: []string{"env"},
	},

	// sources
	{
		Module:  "sources",
		Name:    "stdin",
		Syntax:  `src = stdin([{codec = c}])`,
		Context: "top level",
		Text: `
Returns the source of the process's standard input, decoded with ´codec´ (default ´"text"´, one string
per line); it does not wait: reading starts when handlers start, and the end of input ends the source.
Records have ´meta.source = "stdin"´ and no ´meta.time´. Call ´stdin()´ once and pass the object to every
handler that needs it (each sees every record); two calls make two readers of one stream. Raises
´stdin: codec: unknown codec "xml" (known: bytes, csv, json, msgpack, text)´ and, for a second call with
another codec, ´stdin: stdin is already read with codec "text"´.
`,
		Example: `
local input = stdin{codec = "json"}
handle(input, function(rec) return rec.name end)
handle(input, {pipe = {pipe.filter(function(rec) return rec.admin end)}}, function(rec)
  return "admin: " .. rec.name
end)
`,
		SeeAlso: []string{"file", "exec"},
	},
	{
		Module:  "sources",
		Name:    "file",
		Syntax:  `f = file{path = p [, codec = c] [, follow = false] [, from = "start"] [, append = true]}`,
		Context: "top level",
		Text: `
Returns a file that is a source (´handle(f, fn)´) and a sink (´{sink = f}´); it does not wait. As a
source it reads ´path´, decoded with ´codec´ (default ´"text"´), to its end; with ´follow = true´ it
keeps reading as the file grows, like ´tail -F´ (rotation and truncation included), and never ends on
its own; ´from = "end"´ (with ´follow´) skips what the file holds at start. Records have
´meta.source = "file:PATH"´. A missing file fails the run when the handler starts:
´file:app.log: file app.log: open app.log: no such file or directory´. As a sink it writes one record per
line (for line codecs), appending (´append = true´) or truncating the file first (´append = false´); the
file is opened by ´handle´. Raises ´file: path must be a non-empty string, got nil´,
´file: from must be "start" or "end", got "middle"´ and
´file: file: from = "end" needs follow = true (nothing would be read)´.
`,
		Example: `
local f = assert(io.open("words.txt", "w"))
f:write("alpha\nbeta\n")
f:close()

local out = file{path = "upper.txt", append = false}
handle(file{path = "words.txt"}, {sink = out}, function(word, meta)
  return meta.source .. " " .. word:upper()
end)
`,
		SeeAlso: []string{"stdin", "stdout"},
	},
	{
		Module:  "sources",
		Name:    "timer",
		Syntax:  `src = timer{every = d [, count = 0] [, start_now = false]}`,
		Context: "top level",
		Text: `
Returns a source that emits a record every ´d´ (a number of seconds or a string such as ´"1m"´) on the
wall clock, with value nil and ´meta.time´ the tick time; it does not wait. ´count´ ends the source
after that many ticks (0: never); ´start_now = true´ emits the first tick at once. Ticks missed while
handlers are busy are dropped, not queued. Raises
´timer: every must be a duration like "1s" or a number of seconds, got nil´,
´timer: timer: every must be > 0, got 0s´ and ´timer: count must be an integer >= 0, got -1´.
`,
		Example: `
handle(timer{every = "10ms", count = 3, start_now = true}, function(_, meta)
  return "tick at " .. time.format(meta.time)
end)
`,
		SeeAlso: []string{"sleep", "stop"},
	},
	{
		Module:  "sources",
		Name:    "iterate",
		Syntax:  `src = iterate(items [, {every = d}])`,
		Context: "top level",
		Text: `
Returns, without waiting, a source of the elements ´items[1]´, ´items[2]´, and so on of a table, up to
the first nil, or of the values a function returns until it returns nil. ´every´ waits that long between
elements. Each element is converted to a plain value when it is read, like a record of any other
source: tables are copied (array marks and ´json.null´ kept), and a function or other userdata fails the
run with ´iterate: item 1: function: value cannot be a record´. A function runs in the main Lua state,
one call per record, and must not wait; without ´every´ it is called up to 64 times in a row, ahead of
the handler, as any source reads ahead of its handler. Records have ´meta.source = "iterate"´ and ´meta.time´ the time
the element was read. Raises ´iterate: items must be a table or a function, got number´.
`,
		Example: `
handle(iterate{{id = 1}, {id = 2}}, function(rec) return rec.id end)

local n = 0
local function count()
  n = n + 1
  if n <= 3 then return n end
end
handle(iterate(count, {every = "5ms"}), function(i) return i * 10 end)
`,
		SeeAlso: []string{"timer"},
	},
	{
		Module:  "sources",
		Name:    "exec",
		Syntax:  `src = exec{cmd = {prog, arg...} [, codec = c] [, dir = path]}`,
		Context: "top level",
		Text: `
Returns a source of the records a child process writes to its stdout, decoded with ´codec´ (default
´"text"´); it does not wait: the process starts when handlers start, without a shell (´prog´ is looked
up in PATH), in directory ´dir´ (default: the current one), and its stderr goes to streamctl's stderr.
The source ends when the process closes its stdout; a non-zero exit then fails the run:
´exec:false: exec ["false"]: exit status 1´. When the job stops early the process gets SIGTERM, then
SIGKILL 2 seconds later. Records have ´meta.source = "exec:PROG"´. Raises
´exec: cmd must be a non-empty list of strings, got nil´ and ´exec: cmd[2] must be a string, got number´.
`,
		Example: `
handle(exec{cmd = {"echo", "hello"}}, function(line) return line .. "!" end)
`,
		SeeAlso: []string{"stdin"},
	},

	// sinks
	{
		Module:  "sinks",
		Name:    "stdout",
		Syntax:  `sink = stdout([{codec = c}])`,
		Context: "top level",
		Text: `
Returns the sink that writes records to standard output, encoded with ´codec´ (default ´"text"´: strings
as they are, numbers as Lua prints them, tables as compact JSON, one per line); it does not wait.
´stdout()´ is the default sink of ´handle´. With the text codec it shares one buffer with ´print´ and
with ´emit´ outside handlers, so their lines keep their order; with another codec it has its own buffer.
Raises ´stdout: codec: unknown codec "xml" (known: bytes, csv, json, msgpack, text)´ and
´stdout: unknown option "format" (known: codec)´.
`,
		Example: `
handle(iterate{{name = "a"}, {name = "b"}}, {sink = stdout{codec = "csv"}}, function(rec)
  return rec
end)
`,
		SeeAlso: []string{"stderr", "file", "print"},
	},
	{
		Module:  "sinks",
		Name:    "stderr",
		Syntax:  `sink = stderr([{codec = c}])`,
		Context: "top level",
		Text: `
Returns the sink that writes records to standard error, encoded with ´codec´ (default ´"text"´), one per
line; it does not wait. Useful as a dead-letter sink: ´{on_error = stderr{codec = "json"}}´. Raises
´stderr: codec: unknown codec "xml" (known: bytes, csv, json, msgpack, text)´.
`,
		Example: `
handle(iterate{"disk full"}, {sink = stderr()}, function(msg) return "warning: " .. msg end)
`,
		SeeAlso: []string{"stdout", "log.warn"},
	},

	// codec
	{
		Module:  "codec",
		Name:    "avro",
		Syntax:  `c = avro{schema = s}`,
		Context: "top level, handler, hook; any worker",
		Text: `
Returns an Avro codec for the ´codec´ option of sources and sinks; it does not wait. ´s´ is the schema's
JSON text or the path of an ´.avsc´ file (read at once). Records are plain binary Avro datums, without
the object container format or a schema registry header; Avro records decode to tables in the schema's
field order, ´int´ and ´long´ to integers, ´bytes´ to strings. Raises
´avro: schema must be a schema (JSON text or a .avsc path), got nil´ and
´avro: avro: parse schema: ...´.
`,
		Example: `
local point = avro{schema = [[{"type": "record", "name": "Point",
  "fields": [{"name": "x", "type": "long"}, {"name": "y", "type": "long"}]}]]}
handle(iterate{{x = 1, y = 2}}, {sink = file{path = "points.avro", codec = point}}, function(p)
  return p
end)
`,
		SeeAlso: []string{"json.encode"},
	},

	// json
	{
		Module:  "json",
		Name:    "json.encode",
		Syntax:  `text = json.encode(value)`,
		Context: "top level, handler, hook, pipe; any worker",
		Text: `
Returns ´value´ as compact JSON text; it does not wait. Tables marked as arrays (decoded from JSON or
made with ´json.array´) and tables with exactly the keys 1..n become arrays, other tables objects (an
unmarked empty table is ´{}´), in insertion order; integral numbers are written without a decimal point;
nil and ´json.null´ are null. Strings are bytes: a byte that is not part of valid UTF-8 is written as it
is (never replaced by U+FFFD), so such a string gives JSON that other tools may not read as UTF-8, and
´json.decode´ reads the same bytes back. Raises ´json.encode: value expected´,
´json.encode: cannot encode a function as JSON´ and
´json.encode: table nested more than 200 levels (a cycle?)´.
`,
		Example: `
print(json.encode({name = "ann", tags = json.array{}, n = 3}))
print(json.encode({1, 2, 3}), json.encode({}), json.encode(json.null))
`,
		SeeAlso: []string{"json.decode", "json.array", "json.null"},
	},
	{
		Module:  "json",
		Name:    "json.decode",
		Syntax:  `value = json.decode(text)`,
		Context: "top level, handler, hook, pipe; any worker",
		Text: `
Parses one JSON document and returns it as a Lua value; it does not wait. Objects become tables (keys in
document order; a repeated key keeps its last value), arrays tables with an array mark (so ´[]´ encodes
back as ´[]´), null ´json.null´ (´json.decode("null")´ too), numbers Lua numbers (exact for integers up
to 2^53; longer integers keep their digits, see "Codecs and JSON values"). The text must be RFC 8259
JSON, as every JSON input of streamctl: see "Codecs and JSON values". Raises
´json.decode: invalid JSON: invalid number "-2." (column 2)´,
´json.decode: invalid JSON: expected a string key, got the end of the document (column 2)´ and
´json.decode: text must be a string, got nil´.
`,
		Example: `
local v = json.decode('{"id": 7, "tags": [], "parent": null}')
print(v.id, #v.tags, v.parent == json.null, json.encode(v.tags))
`,
		SeeAlso: []string{"json.encode", "json.null"},
	},
	{
		Module:  "json",
		Name:    "json.null",
		Syntax:  `json.null`,
		Context: "top level, handler, hook, pipe; any worker",
		Text: `
The value of JSON null inside tables; using it does not wait. It is truthy and equal only to itself, so
test it with ´v == json.null´; ´tostring´ gives ´"null"´, and it encodes back to null in ´json.encode´
and in every sink. Decoded records hold it wherever their JSON had null.
`,
		Example: `
local rec = json.decode('{"email": null}')
if rec.email == json.null then print("no email") end
print(json.encode({email = json.null}))
`,
		SeeAlso: []string{"json.decode"},
	},
	{
		Module:  "json",
		Name:    "json.array",
		Syntax:  `t = json.array([t])`,
		Context: "top level, handler, hook, pipe; any worker",
		Text: `
Marks ´t´ (or a new empty table) as a JSON array and returns it; it does not wait. A marked table
encodes as an array even when empty; unmarked tables with keys 1..n are arrays anyway. Raises when ´t´
is neither nil nor a table.
`,
		Example: `
local tags = json.array()
print(json.encode({tags = tags}), json.encode({tags = {}}))
table.insert(tags, "new")
print(json.encode(tags))
`,
		SeeAlso: []string{"json.encode"},
	},

	// time
	{
		Module:  "time",
		Name:    "time.now",
		Syntax:  `t = time.now()`,
		Context: "top level, handler, hook, pipe; any worker",
		Text: `
Returns the current time as Unix seconds, a float with sub-second precision; it does not wait.
`,
		Example: `
local start = time.now()
print(time.format(start, "%Y-%m-%d"), time.now() - start < 1)
`,
		SeeAlso: []string{"time.format", "time.parse"},
	},
	{
		Module:  "time",
		Name:    "time.parse",
		Syntax:  `t = time.parse(text [, layout])`,
		Context: "top level, handler, hook, pipe; any worker",
		Text: `
Parses ´text´ and returns Unix seconds; it does not wait. Without ´layout´ it accepts RFC 3339
(´2024-05-01T12:00:00Z´, with a fraction or an offset), ´YYYY-MM-DD HH:MM:SS[.fff]´ and ´YYYY-MM-DD´, in
UTC unless an offset is given. ´layout´ is strftime: ´%Y %y %m %d %e %H %I %M %S %f %p %b %B %a %A %j
%z %Z %T %F %D %R %%´. Raises
´time.parse: "xx" is not RFC 3339 or YYYY-MM-DD HH:MM:SS[.fff]; give a layout´ and
´time.parse: "2024" does not match layout "%Y-%m-%d"´.
`,
		Example: `
print(time.parse("2024-01-02 03:04:05"))
print(time.parse("2024-01-02T03:04:05+02:00"))
print(time.parse("02/01/2024", "%d/%m/%Y"))
`,
		SeeAlso: []string{"time.format"},
	},
	{
		Module:  "time",
		Name:    "time.format",
		Syntax:  `text = time.format(t [, layout])`,
		Context: "top level, handler, hook, pipe; any worker",
		Text: `
Formats the Unix seconds ´t´ in UTC and returns the text; it does not wait. Without ´layout´ it writes
RFC 3339 with as many fraction digits as needed (´1970-01-01T00:00:01.5Z´); ´layout´ is strftime, as for
´time.parse´ (´%f´ is microseconds). Raises ´time.format: t must be a number, got string "x"´.
`,
		Example: `
print(time.format(0))
print(time.format(1.5, "%Y-%m-%d %H:%M:%S.%f"))
`,
		SeeAlso: []string{"time.parse", "time.now"},
	},

	// log
	{
		Module:  "log",
		Name:    "log.info",
		Syntax:  `log.info(msg [, fields])`,
		Context: "top level, handler, hook, pipe; any worker",
		Text: `
Writes a log record at level info to stderr through the run's logger (´--log-format text|json´; shown
unless ´--log-level´ is warn or error); it does not wait. ´msg´ is converted with ´tostring´; each entry
of the table ´fields´ becomes an attribute. Raises ´log.info: fields must be a table, got number´.
`,
		Example: `
log.info("loaded", {rows = 3, file = "users.csv"})
`,
		SeeAlso: []string{"log.warn", "log.error", "log.debug", "print"},
	},
	{
		Module:  "log",
		Name:    "log.debug",
		Syntax:  `log.debug(msg [, fields])`,
		Context: "top level, handler, hook, pipe; any worker",
		Text: `
Writes a log record at level debug, shown only with ´--log-level debug´; it does not wait. As
´log.info´ otherwise. Raises ´log.debug: fields must be a table, got number´.
`,
		Example: `
handle(iterate{"a"}, function(v)
  log.debug("record", {value = v})
  return v
end)
`,
		SeeAlso: []string{"log.info"},
	},
	{
		Module:  "log",
		Name:    "log.warn",
		Syntax:  `log.warn(msg [, fields])`,
		Context: "top level, handler, hook, pipe; any worker",
		Text: `
Writes a log record at level warn; it does not wait. As ´log.info´ otherwise. Raises
´log.warn: fields must be a table, got number´.
`,
		Example: `
log.warn("slow source", {seconds = 12.5})
`,
		SeeAlso: []string{"log.info"},
	},
	{
		Module:  "log",
		Name:    "log.error",
		Syntax:  `log.error(msg [, fields])`,
		Context: "top level, handler, hook, pipe; any worker",
		Text: `
Writes a log record at level error; it does not wait and does not stop the run (raise with ´error()´ for
that). As ´log.info´ otherwise. Raises ´log.error: fields must be a table, got number´.
`,
		Example: `
log.error("cannot reach upstream", {url = "http://127.0.0.1:9", attempt = 3})
`,
		SeeAlso: []string{"log.info"},
	},

	// pipe
	{
		Module:  "pipe",
		Name:    "pipe.map",
		Syntax:  `op = pipe.map(fn)`,
		Context: "top level (the operator runs in its handler)",
		Text: `
Returns, without waiting, an operator that replaces each record with ´fn(value, meta)´; a nil result
drops the record. ´fn´ runs in the handler's coroutine and may wait. Raises
´pipe.map: fn must be a function, got nil´.
`,
		Example: `
handle(iterate{1, 2, 3}, {pipe = {pipe.map(function(n) return n * 2 end)}}, function(n)
  return n
end)
`,
		SeeAlso: []string{"pipe.filter", "handle"},
	},
	{
		Module:  "pipe",
		Name:    "pipe.filter",
		Syntax:  `op = pipe.filter(fn)`,
		Context: "top level (the operator runs in its handler)",
		Text: `
Returns, without waiting, an operator that passes the records for which ´fn(value, meta)´ is true
(neither nil nor false) and drops the others. ´fn´ runs in the handler's coroutine and may wait. Raises ´pipe.filter: fn must be a function, got nil´.
`,
		Example: `
handle(iterate{1, 2, 3, 4}, {pipe = {pipe.filter(function(n) return n % 2 == 0 end)}}, function(n)
  return n
end)
`,
		SeeAlso: []string{"pipe.map"},
	},
	{
		Module:  "pipe",
		Name:    "pipe.pairwise",
		Syntax:  `op = pipe.pairwise()`,
		Context: "top level (the operator runs in its handler)",
		Text: `
Returns an operator that emits ´{previous, current}´ (an array) for every record after the first, with
the current record's meta; it does not wait. Never raises.
`,
		Example: `
handle(iterate{10, 15, 12}, {pipe = {pipe.pairwise()}}, function(p)
  return p[2] - p[1]
end)
`,
		SeeAlso: []string{"pipe.accumulate"},
	},
	{
		Module:  "pipe",
		Name:    "pipe.accumulate",
		Syntax:  `op = pipe.accumulate([fn [, init]])`,
		Context: "top level (the operator runs in its handler)",
		Text: `
Returns, without waiting, an operator that emits the running fold of the records, like Python's
´itertools.accumulate´: ´acc = fn(acc, value)´ for each record, then ´acc´ is emitted. ´fn´ defaults to
adding numbers; without ´init´ (or with nil) the first record is emitted as it is and starts the fold. Raises
´pipe.accumulate: fn must be a function, got number´.
`,
		Example: `
handle(iterate{1, 2, 3, 4}, {pipe = {pipe.accumulate()}}, function(sum) return sum end)
handle(iterate{"a", "b"}, {pipe = {pipe.accumulate(function(acc, s) return acc .. s end, ">")}},
  function(s) return s end)
`,
		SeeAlso: []string{"pipe.pairwise", "pipe.batch"},
	},
	{
		Module:  "pipe",
		Name:    "pipe.batch",
		Syntax:  `op = pipe.batch{[size = n] [, every = d]}`,
		Context: "top level (the operator runs in its handler)",
		Text: `
Returns, without waiting, an operator that collects records into arrays of ´size´ records, and with
´every´ also emits what it holds every ´d´ (in handlers with ´workers = 1´); at the end of input the rest
is emitted. A batch carries the meta of its last record. Raises ´pipe.batch: give size, every or both´ and
´pipe.batch: size must be an integer >= 1, got 0´.
`,
		Example: `
handle(iterate{1, 2, 3, 4, 5}, {pipe = {pipe.batch{size = 2}}}, function(batch)
  return json.encode(batch)
end)
`,
		SeeAlso: []string{"pipe.accumulate"},
	},
	{
		Module:  "pipe",
		Name:    "pipe.dedupe",
		Syntax:  `op = pipe.dedupe{[key = fn] [, ttl = d]}`,
		Context: "top level (the operator runs in its handler)",
		Text: `
Returns an operator that drops a record whose key was already seen, within ´ttl´ if given, else for the
whole run (keys are kept in memory); it does not wait. The key is ´key(value, meta)´, by default the
value itself: strings, numbers and booleans compare by value but tables by identity, so give ´key´ for
table records. A nil key passes the record. Raises ´pipe.dedupe: key must be a function, got number´.
`,
		Example: `
handle(iterate{{id = 1}, {id = 1}, {id = 2}},
  {pipe = {pipe.dedupe{key = function(rec) return rec.id end, ttl = "1h"}}},
  function(rec) return rec.id end)
`,
		SeeAlso: []string{"pipe.filter"},
	},
	{
		Module:  "pipe",
		Name:    "pipe.throttle",
		Syntax:  `op = pipe.throttle{rate = n}`,
		Context: "top level (the operator runs in its handler)",
		Text: `
Returns an operator that lets at most ´n´ records per second through, evenly spaced, by waiting: it
sleeps in the handler's coroutine without blocking other handlers (in a worker state it blocks that
worker). Slowing the handler slows its source through back-pressure. Raises
´pipe.throttle: rate must be a number of records per second > 0, got nil´.
`,
		Example: `
handle(iterate{1, 2, 3}, {pipe = {pipe.throttle{rate = 100}}}, function(n) return n end)
`,
		SeeAlso: []string{"sleep"},
	},

	// cache
	{
		Module:  "cache",
		Name:    "cache.open",
		Syntax:  `c = cache.open(name [, {memory = false, ttl = nil, sync = false}])`,
		Context: "top level, handler, hook; any worker",
		Text: `
Opens the cache ´name´ and returns it; it does not wait (the database is opened, created if needed, and
locked on the first call). Every call with the same name in the process, in the main state or a worker
state, returns the same cache. ´memory = true´ keeps it in memory only (nothing persisted or locked);
´ttl´ (a duration) is the default time to live of entries, counted from their last write; ´sync = true´
fsyncs every write so it also survives power loss (every write survives a killed process anyway). The
cache is a sink (´{sink = c}´, records need a key: ´return value, key´) and ´c(key, value)´ stores
´value´ and publishes it to ´c:updates()´. Raises ´cache.open: name must be a string, got nil´,
´cache.open: unknown option "tll" (known: memory, sync, ttl)´,
´cache.open: cache name "a/b" must match [A-Za-z0-9_.-]+ (at most 200 characters, no "..")´,
´cache.open: cache "x" is already open with other options´ and, when another process holds it (exit 75),
´cache.open: cache hits (DIR) is in use by pid 1234´.
`,
		Example: `
local counts = cache.open("emoji", {memory = true})
handle(iterate{"🏆", "📞", "🏆"}, {sink = counts}, function(e)
  return counts:get(e, 0) + 1, e -- stored under the key e
end)
on_stop(function() print(counts:get("🏆"), counts:get("📞")) end)
`,
		SeeAlso: []string{"cache:get", "cache:put", "cache:updates", "state.load"},
	},
	{
		Module:  "cache",
		Name:    "cache:get",
		Syntax:  `value = c:get(key [, default])`,
		Context: "top level, handler, hook; any worker",
		Text: `
Returns the value stored at ´key´, or ´default´ (nil if not given) when the key is missing or expired; it
does not wait. The value is a fresh copy: integers stay integers, arrays stay arrays (´json.array´ marks
and ´json.null´ included), strings keep every byte. Raises
´cache:get: key must be a string, number, boolean or list of them, got nil´ and
´cache:get: self must be a cache, got number (call it as c:get(...))´.
`,
		Example: `
local c = cache.open("users", {memory = true})
c:put({"ann", 1}, {name = "Ann", tags = json.array{}})
print(c:get({"ann", 1}).name, json.encode(c:get({"ann", 1}).tags), c:get("bob", "none"))
`,
		SeeAlso: []string{"cache:put", "cache:has"},
	},
	{
		Module:  "cache",
		Name:    "cache:put",
		Syntax:  `c:put(key, value [, {ttl = d}])`,
		Context: "top level, handler, hook; any worker",
		Text: `
Stores ´value´ at ´key´ without waiting (no other handler runs meanwhile) and returns once the write
is durable against a process crash; output written before it is flushed first. ´ttl´ overrides the cache's
default time to live for this entry; an expired entry is invisible at once and swept in the background.
Unlike ´c(key, value)´ it does not publish to ´c:updates()´. Raises
´cache:put: value must not be nil (use c:del(key) to delete)´,
´cache:put: function: value cannot be a record´ and ´cache:put: NaN cannot be a key´.
`,
		Example: `
local c = cache.open("sessions", {memory = true})
c:put("s1", {user = "ann", n = 1})
c:put("s2", {user = "bob"}, {ttl = "30m"})
print(c:get("s1").user, c:count())
`,
		SeeAlso: []string{"cache:get", "cache:del", "cache:update"},
	},
	{
		Module:  "cache",
		Name:    "cache:del",
		Syntax:  `c:del(key)`,
		Context: "top level, handler, hook; any worker",
		Text: `
Deletes ´key´ without waiting and returns once the delete is durable; a missing key is not an error.
Raises ´cache:del: key must be a string, number, boolean or list of them, got nil´.
`,
		Example: `
local c = cache.open("seen", {memory = true})
c:put("a", true)
c:del("a")
c:del("never there")
print(c:has("a"))
`,
		SeeAlso: []string{"cache:put", "cache:clear"},
	},
	{
		Module:  "cache",
		Name:    "cache:has",
		Syntax:  `ok = c:has(key)`,
		Context: "top level, handler, hook; any worker",
		Text: `
Returns whether ´key´ holds a value that has not expired; it does not wait. Raises
´cache:has: key must be a string, number, boolean or list of them, got function´.
`,
		Example: `
local c = cache.open("seen", {memory = true})
handle(iterate{"a", "b", "a"}, function(id)
  if c:has(id) then return id .. " again" end
  c:put(id, true)
  return id .. " first"
end)
`,
		SeeAlso: []string{"cache:get"},
	},
	{
		Module:  "cache",
		Name:    "cache:incr",
		Syntax:  `n = c:incr(key [, by])`,
		Context: "top level, handler, hook; any worker",
		Text: `
Adds ´by´ (default 1) to the number at ´key´ and returns the new value, without waiting; a missing or
expired key counts as 0. Atomic across workers and handlers: concurrent increments are never lost.
Raises ´cache:incr: value at "hits" is a string, not a number´ and
´cache:incr: by must be a number, got string "x"´.
`,
		Example: `
local hits = cache.open("hits", {memory = true})
handle(iterate{"/a", "/b", "/a"}, {workers = 2}, function(path) hits:incr(path) end)
on_stop(function() print(hits:get("/a"), hits:incr("/b", 10)) end)
`,
		SeeAlso: []string{"cache:update"},
	},
	{
		Module:  "cache",
		Name:    "cache:update",
		Syntax:  `new = c:update(key, fn)`,
		Context: "top level, handler, hook; any worker",
		Text: `
Calls ´fn(old)´ with the value at ´key´ (nil when missing) and stores what it returns, as one atomic
read-modify-write across workers, and returns the new value; it does not wait and ´fn´ must not wait
either (a waiting call in ´fn´ blocks the Lua state). Returning nil deletes the key. ´fn´ may read the
cache but must not write to it. An error in ´fn´ leaves the value unchanged and is raised as
´cache:update: job.lua:3: boom´. Raises ´cache:update: fn must be a function, got number´.
`,
		Example: `
local sessions = cache.open("sessions", {memory = true})
local s = sessions:update("ann", function(old)
  old = old or {events = 0}
  old.events = old.events + 1
  return old
end)
print(s.events, sessions:update("ann", function() return nil end), sessions:has("ann"))
`,
		SeeAlso: []string{"cache:incr", "cache:put"},
	},
	{
		Module:  "cache",
		Name:    "cache:range",
		Syntax:  `for k, v in c:range{[from = k] [, to = k] [, prefix = p] [, reverse = false] [, limit = n]} do ... end`,
		Context: "top level, handler, hook; any worker",
		Text: `
Returns an iterator over the live entries in key order (descending with ´reverse = true´), without
waiting; entries are read in pages of 256, so a range over a large cache stays small. ´from´ is
inclusive, ´to´ exclusive; ´prefix´ is a tuple prefix (´{"ann"}´ selects ´{"ann", ...}´ and
´{"ann"}´ itself) or a string prefix (´"a"´ selects ´"a"´ and ´"ab"´); ´limit´ stops after n entries. Keys sort by type (booleans, numbers,
strings, tuples), then by value: numbers numerically, tuples element by element, so ´{user, time}´
keys range over one user's events in time order. Raises
´cache:range: unknown option "form" (known: from, limit, prefix, reverse, to)´ and
´cache:range: limit must be an integer >= 0, got -1´.
`,
		Example: `
local events = cache.open("events", {memory = true})
for i, user in ipairs{"ann", "bob", "ann", "ann"} do events:put({user, i}, "event " .. i) end
for k, v in events:range{prefix = {"ann"}, reverse = true, limit = 2} do
  print(k[1], k[2], v)
end
`,
		SeeAlso: []string{"cache:floor", "cache:ceil"},
	},
	{
		Module:  "cache",
		Name:    "cache:floor",
		Syntax:  `k, v = c:floor(key)`,
		Context: "top level, handler, hook; any worker",
		Text: `
Returns the live entry with the greatest key less than or equal to ´key´, or nil, nil; it does not wait.
Made for temporal joins: with readings stored under their time, ´c:floor(t)´ is the latest reading at or
before ´t´. Keys sort by type first, so with tuple keys ´{id, time}´ check that the key found has the
same id. Raises ´cache:floor: key must be a string, number, boolean or list of them, got nil´.
`,
		Example: `
local weather = cache.open("weather", {memory = true})
weather:put(time.parse("2024-05-01 10:00:00"), "sunny")
weather:put(time.parse("2024-05-01 11:00:00"), "cloudy")
local t, w = weather:floor(time.parse("2024-05-01 10:30:00"))
print(time.format(t), w, weather:floor(0))
`,
		SeeAlso: []string{"cache:ceil", "cache:range"},
	},
	{
		Module:  "cache",
		Name:    "cache:ceil",
		Syntax:  `k, v = c:ceil(key)`,
		Context: "top level, handler, hook; any worker",
		Text: `
Returns the live entry with the least key greater than or equal to ´key´, or nil, nil; it does not wait.
Raises ´cache:ceil: key must be a string, number, boolean or list of them, got nil´.
`,
		Example: `
local c = cache.open("slots", {memory = true})
c:put(10, "ten")
c:put(20, "twenty")
print(c:ceil(11))
print(c:ceil(21))
`,
		SeeAlso: []string{"cache:floor"},
	},
	{
		Module:  "cache",
		Name:    "cache:sweep",
		Syntax:  `c:sweep(fn)`,
		Context: "top level, handler, hook; any worker",
		Text: `
Calls ´fn(k, v)´ for every live entry in key order and deletes those for which it returns false or nil;
it does not wait and ´fn´ must not wait. Expired entries are deleted without calling ´fn´, and an entry
written again while the sweep runs is kept. An error in ´fn´ stops the sweep and is raised as
´cache:sweep: job.lua:2: boom´. Raises ´cache:sweep: fn must be a function, got nil´.
`,
		Example: `
local sessions = cache.open("sessions", {memory = true})
sessions:put("old", {last = time.now() - 3600})
sessions:put("new", {last = time.now()})
sessions:sweep(function(k, s) return s.last > time.now() - 600 end)
print(sessions:has("old"), sessions:has("new"))
`,
		SeeAlso: []string{"cache:clear", "cache:range"},
	},
	{
		Module:  "cache",
		Name:    "cache:clear",
		Syntax:  `c:clear()`,
		Context: "top level, handler, hook; any worker",
		Text: `
Deletes every entry and returns once that is durable; it does not wait. Writes of other workers wait
until it is done. Never raises for a usable cache.
`,
		Example: `
local c = cache.open("tmp", {memory = true})
c:put("a", 1)
c:put("b", 2)
c:clear()
print(c:count())
`,
		SeeAlso: []string{"cache:sweep", "cache:del"},
	},
	{
		Module:  "cache",
		Name:    "cache:count",
		Syntax:  `n = c:count()`,
		Context: "top level, handler, hook; any worker",
		Text: `
Returns the number of live entries; it does not wait, but it reads the whole cache, so keep it out of
per-record code on large caches. Never raises for a usable cache.
`,
		Example: `
local c = cache.open("tmp", {memory = true})
for i = 1, 3 do c:put(i, i * i) end
print(c:count())
`,
		SeeAlso: []string{"cache:range"},
	},
	{
		Module:  "cache",
		Name:    "cache:updates",
		Syntax:  `src = c:updates()`,
		Context: "top level",
		Text: `
Returns, without waiting, a source of the entries published by ´c(key, value)´ and by the cache used as
a sink: each record's value is the stored value and ´meta.key´ its key. Publishing never blocks the
writer. The source ends once every other handler of the run has finished (nothing is left to write
then), so a script that reacts to its own writes still ends. ´c:put´ does not publish.
`,
		Example: `
local prices = cache.open("prices", {memory = true})
handle(iterate{{"apple", 3}, {"pear", 5}}, function(p) prices(p[1], p[2]) end)
handle(prices:updates(), function(v, meta) return meta.key .. " is now " .. v end)
`,
		SeeAlso: []string{"cache.open", "cache:put"},
	},

	// state
	{
		Module:  "state",
		Name:    "state.load",
		Syntax:  `tbl = state.load(name [, default])`,
		Context: "top level, handler, hook; any worker",
		Text: `
Returns the table last saved under ´name´ with ´state.save´, or ´default´ (a new empty table if not
given) when nothing was saved; it does not wait. The state lives in the state directory, so the next
run (or a run after a crash) loads what the last ´state.save´ stored. Raises
´state.load: name must be a string, got nil´ and, when another process holds it,
´state.load: state NAME (DIR) is in use by pid 1234´.
`,
		Example: `
local st = state.load("collector", {offset = 0})
print("resuming at", st.offset)
for i = 1, 3 do
  st.offset = st.offset + 1
  state.save("collector", st) -- after each unit of progress
end
`,
		SeeAlso: []string{"state.save", "cache.open"},
	},
	{
		Module:  "state",
		Name:    "state.save",
		Syntax:  `state.save(name, tbl)`,
		Context: "top level, handler, hook; any worker",
		Text: `
Atomically replaces the state saved under ´name´ with a copy of ´tbl´, without waiting, and returns
once that is durable against a process crash; output written before it is flushed first, so after a crash
the saved state never claims more than the output shows. Raises
´state.save: tbl must be a table, got nil´ and ´state.save: function: value cannot be a record´.
`,
		Example: `
state.save("feed", {last_id = 42, seen = json.array{"a", "b"}})
print(json.encode(state.load("feed")))
`,
		SeeAlso: []string{"state.load"},
	},
	{
		Module:  "kafka",
		Name:    "kafka.topic",
		Syntax:  `t = kafka.topic(name [, {brokers=, group=, offset=, codec=, key_codec=, acks=, idempotent=, auto_create=, dial_timeout=, session_timeout=, sasl=, tls=}])`,
		Context: "top level; any worker",
		Text: `
Returns a topic, without waiting: nothing connects until a handler reads it or a record is written.
A topic is a source (´handle(t, fn)´: ´meta´ has ´topic´, ´partition´, ´offset´, ´key´, ´headers´ and
´time´) and a sink (´{sink = t}´: each output ´value, key´ is produced; the input is acked once the
broker acked it). Options: ´brokers´ (´"h:p,h:p"´ or a list), ´group´ (a consumer group; without one
the topic is read from ´offset´ and nothing is committed), ´offset´ (´"earliest"´, the default,
´"latest"´ or a number: where to start without a committed offset), ´codec´ (default ´"bytes"´) and
´key_codec´ (default ´"text"´), ´acks´ (´"all"´, the default, ´"leader"´ or ´"none"´), ´idempotent´
(default true with ´acks = "all"´), ´auto_create´ (default false: an unknown topic is an error),
´dial_timeout´ (default 10s), ´session_timeout´ (how long the group waits for a member that stopped
answering before moving its partitions; default franz-go's 45s), ´sasl = {mechanism = "PLAIN"|"SCRAM-SHA-256"|"SCRAM-SHA-512", user=,
password=}´, ´tls = {ca=, cert=, key=, insecure=}´. Unreachable brokers raise
´kafka: brokers 127.0.0.1:1 unreachable: ...´ within ´dial_timeout´; an undecodable record follows the
handler's ´on_error´, naming topic, partition and offset.
`,
		Example: `
local t = kafka.topic("docs-topic", {codec = "json", auto_create = true})
handle(iterate{{n = 1}, {n = 2}}, {sink = t}, function(v) return v, "key" .. v.n end)
`,
		SeeAlso: []string{"topic:send", "handle"},
	},
	{
		Module:  "kafka",
		Name:    "topic:send",
		Syntax:  `t:send(value [, key [, headers]])`,
		Context: "top level, handler, hook; any worker",
		Text: `
Produces one record and waits for the broker's ack; while it waits, other handlers run (in a worker
state it blocks that worker). ´headers´ is a table of strings. Raises
´topic:send: kafka: produce to "t": ...´ when producing fails.
`,
		Example: `
local t = kafka.topic("docs-send", {auto_create = true})
t:send("hello", "greeting", {source = "docs"})
`,
		SeeAlso: []string{"kafka.topic"},
	},
	{
		Module:  "kafka",
		Name:    "topic:seek",
		Syntax:  `t:seek{[partition] = offset, ...}`,
		Context: "top level, handler, hook; any worker",
		Text: `
Moves consumption of the given partitions to the given offsets, without waiting: records already read
past them but not yet handled are dropped, and the next records come from there. Used by checkpoint
recovery to reprocess what may have been enriched with stale data.
`,
		Example: `
local t = kafka.topic("docs-seek", {auto_create = true})
t:seek{[0] = 0}
`,
		SeeAlso: []string{"topic:pause"},
	},
	{
		Module:  "kafka",
		Name:    "topic:pause",
		Syntax:  `t:pause()`,
		Context: "top level, handler, hook; any worker",
		Text: `
Stops fetching from the topic without losing its position, without waiting. Records already fetched
are still handled.
`,
		Example: `
local t = kafka.topic("docs-pause", {auto_create = true})
t:pause()
t:resume()
`,
		SeeAlso: []string{"topic:resume"},
	},
	{
		Module:  "kafka",
		Name:    "topic:resume",
		Syntax:  `t:resume()`,
		Context: "top level, handler, hook; any worker",
		Text: `
Resumes fetching after ´t:pause()´, without waiting.
`,
		Example: `
local t = kafka.topic("docs-resume", {auto_create = true})
t:pause()
t:resume()
`,
		SeeAlso: []string{"topic:pause"},
	},

	// http
	{
		Module:  "http",
		Name:    "http.get",
		Syntax:  `resp = http.get(url [, {headers=, timeout=, retries=}])`,
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
		Module:  "http",
		Name:    "http.post",
		Syntax:  `resp = http.post(url, body [, {headers=, timeout=, retries=}]); sink = http.post(url)`,
		Context: "top level, handler, hook; any worker",
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
with ´Last-Event-ID´. ´reconnect = false´ ends the source at the end of the first body instead. A 204
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
read by the run ´streamctl_kafka_consumer_lag´ (labels ´topic´ and ´partition´: the records the broker
held beyond the last one fetched), then the Go runtime and process families (´go_goroutines´,
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

	// window
	{
		Module:  "window",
		Name:    "window.tumbling",
		Syntax:  `op = window.tumbling{size = d [, time = fn] [, key = fn] [, agg = a] [, grace = d] [, emit = "final"|"update"] [, late = sink] [, idle = d] [, cache = c] [, name = s] [, flush_every = n]}`,
		Context: "top level (the operator runs in its handler; main state only: workers = 1)",
		Text: `
Returns, without waiting, a pipe operator that groups records into fixed, non-overlapping event-time
windows ´[start, start + size)´ (starts are multiples of ´size´ since the Unix epoch) per key, and emits
´{key =, start =, ["end"] =, value =}´ for each. ´time(value, meta)´ gives the event time in Unix seconds
(default ´meta.time´, else the arrival time); ´key(value, meta)´ groups windows (default: one group, key
nil). ´agg´ is ´"count"´ (the default), ´"sum"´, ´"min"´, ´"max"´, ´"avg"´, ´"list"´, ´"set"´ or a table
´{init = fn() -> acc, add = fn(acc, value) -> acc, merge = fn(acc1, acc2) -> acc}´.

The watermark is the greatest event time seen minus ´grace´ (default 0). A window closes when the
watermark reaches its end; with ´emit = "final"´ (the default) it is emitted then, once; with
´emit = "update"´ it is emitted after every record that changes it and not at close. A record whose
window is already closed is late: it goes to ´late´ (a sink or a function ´function(value, key, meta)´),
else it is dropped. ´idle = d´ closes the windows of a key that got no record for ´d´ of wall-clock time.

Open windows, the watermark and emitted-but-unacknowledged results persist in a cache: ´cache´, else the
cache ´"windows"´ of the state directory, under ´name´ (default the kind and the operator's position in the
script, e.g. ´"tumbling1"´): a restart with the same script continues them. When a finite input ends, every
open window is emitted; on a signal or ´stop()´ they stay in the cache for the next run. Every record is
written through before the next is taken, so a ´kill -9´ loses no window; a final is emitted again after
a crash only if the process died right after emitting it (at least once). ´flush_every = n´ writes open
windows every ´n´ records instead (faster; see docs/performance.md): a ´kill -9´ then loses up to ´n - 1´
records from open windows, while closing windows, the end of input, ´stop()´ and signals still write at once.
Raises ´window.tumbling: size must be a duration like "1m" or a number of seconds, got nil´ and
´window.tumbling: agg: unknown aggregator "median" (known: count, sum, min, max, avg, list, set)´; using the
operator in a handler with ´workers > 1´ raises when a record arrives.
`,
		Example: `
local c = cache.open("w", {memory = true})
local clicks = {{user = "ann", t = 1}, {user = "bo", t = 2}, {user = "ann", t = 8}, {user = "ann", t = 12}}
handle(iterate(clicks), {pipe = {window.tumbling{size = "10s", cache = c,
    time = function(click) return click.t end, key = function(click) return click.user end}}},
  function(w) return string.format("%s [%g, %g): %d clicks", w.key, w.start, w["end"], w.value) end)
`,
		SeeAlso: []string{"window.hopping", "window.sliding", "window.session", "handle"},
	},
	{
		Module:  "window",
		Name:    "window.hopping",
		Syntax:  `op = window.hopping{size = d, hop = d [, time =, key =, agg =, grace =, emit =, late =, idle =, cache =, name =, flush_every =]}`,
		Context: "top level (the operator runs in its handler; main state only: workers = 1)",
		Text: `
Returns, without waiting, a pipe operator of overlapping windows ´[start, start + size)´ whose starts are
multiples of ´hop´ (´0 < hop <= size´): a record belongs to every such window that contains its time,
about ´size / hop´ of them. With ´emit = "update"´ a record gives one result per window it updates. The
other options, the watermark, late records and persistence are those of ´window.tumbling´. Raises
´window.hopping: window "hopping1": hop must be > 0 and <= size (10s), got 20s´.
`,
		Example: `
local c = cache.open("w", {memory = true})
handle(iterate{1, 4, 6, 12}, {pipe = {window.hopping{size = 10, hop = 5, agg = "list", cache = c,
    time = function(t) return t end}}},
  function(w) return string.format("[%g, %g): %s", w.start, w["end"], json.encode(w.value)) end)
`,
		SeeAlso: []string{"window.tumbling"},
	},
	{
		Module:  "window",
		Name:    "window.sliding",
		Syntax:  `op = window.sliding{size = d [, time =, key =, agg =, grace =, late =, cache =, name =, flush_every =]}`,
		Context: "top level (the operator runs in its handler; main state only: workers = 1)",
		Text: `
Returns, without waiting, a pipe operator that emits, for every record at time ´t´, the window
´[t - size, t]´ (both ends included) of its key: the records of that key whose times fall in it, including
earlier out-of-order ones. One result per record, at once (´emit´ is ignored); later records never revise
an emitted result. A record older than the watermark is late. Records are kept (in the cache) until the
watermark passes them by ´size´. Raises ´window.sliding: size must be a duration like "1m" or a number of
seconds, got nil´.
`,
		Example: `
local c = cache.open("w", {memory = true})
local events = {{"a", 0}, {"b", 1}, {"c", 2.5}, {"d", 4}}
handle(iterate(events), {pipe = {window.sliding{size = 2, agg = "list", cache = c,
    time = function(e) return e[2] end}}},
  function(w)
    local names = {}
    for _, e in ipairs(w.value) do names[#names + 1] = e[1] end
    return w["end"] .. ": " .. table.concat(names, " ")
  end)
`,
		SeeAlso: []string{"window.tumbling"},
	},
	{
		Module:  "window",
		Name:    "window.session",
		Syntax:  `op = window.session{gap = d [, time =, key =, agg =, grace =, emit =, late =, idle =, cache =, name =, flush_every =]}`,
		Context: "top level (the operator runs in its handler; main state only: workers = 1)",
		Text: `
Returns, without waiting, a pipe operator of session windows: per key, records whose times are at most
´gap´ apart form one session; a record within ´gap´ of two open sessions merges them (a table ´agg´ needs
´merge´). ´start´ and ´["end"]´ of a result are the first and last event times of the session, which closes
when the watermark passes its last event time plus ´gap´. The other options are those of
´window.tumbling´. Raises ´window.session: gap must be a duration like "1m" or a number of seconds, got nil´.
`,
		Example: `
local c = cache.open("w", {memory = true})
local visits = {{"ann", 0}, {"ann", 20}, {"bo", 30}, {"ann", 500}}
handle(iterate(visits), {pipe = {window.session{gap = "5m", cache = c,
    time = function(v) return v[2] end, key = function(v) return v[1] end}}},
  function(s) return string.format("%s %g-%g: %d pages", s.key, s.start, s["end"], s.value) end)
`,
		SeeAlso: []string{"window.tumbling"},
	},

	// checkpoint
	{
		Module:  "checkpoint",
		Name:    "checkpoint.new",
		Syntax:  `cp = checkpoint.new(name, {dependencies = {{name = s [, threshold = d]}, ...} [, dependent = source] [, on_downtime = fn] [, on_recovery = fn] [, cache = c]})`,
		Context: "top level",
		Text: `
Returns, without waiting, a checkpoint that watches the dependency streams a dependent stream relies on
(say weather for activities enriched with it), in event time. The dependent calls ´cp:pulse(t, state)´ per
record, each dependency ´cp:heartbeat(name, t)´. When a dependency's downtime (the dependent's time minus
the dependency's last heartbeat time) exceeds its ´threshold´ (strictly; default 10 minutes), the
´dependent´ source (a Kafka topic or a followed file) is paused and ´on_downtime(cp, dep)´ runs once; when a
heartbeat later than the dependent's last pulse brings the last down dependency back, the dependent is
resumed and ´on_recovery(cp, dep)´ runs, typically ´topic:seek(dep.checkpoint_state)´ to reprocess what
may have been enriched with stale data. Everything persists in ´cache´, else the cache ´"checkpoints"´ of
the state directory, under ´name´: a restart keeps the checkpoint (and a paused dependent starts paused).
Raises ´checkpoint.new: dependencies must be a list like {{name = "weather", threshold = "1h"}}, got nil´
and ´checkpoint.new: dependent must be a source that can pause (a Kafka topic or a followed file), got iterate´.
`,
		Example: `
local cp = checkpoint.new("activity", {cache = cache.open("cp", {memory = true}),
  dependencies = {{name = "weather", threshold = "1h"}},
  on_downtime = function(cp, dep) print(dep.name .. " is down") end,
  on_recovery = function(cp, dep) print(dep.name .. " is back") end})
cp:pulse(0, {["0"] = 0})    -- activity at 0:00, Kafka offset 0
cp:heartbeat("weather", 0)
print(cp:pulse(5400, {["0"] = 1}))  -- 1:30 later, no weather: 5400
cp:heartbeat("weather", 6000)
`,
		SeeAlso: []string{"checkpoint:pulse", "checkpoint:heartbeat", "checkpoint:dep", "topic:seek"},
	},
	{
		Module:  "checkpoint",
		Name:    "checkpoint:heartbeat",
		Syntax:  `cp:heartbeat([dep,] t)`,
		Context: "top level, handler, hook; any worker",
		Text: `
Records, without waiting, that dependency ´dep´ (optional when there is only one) made progress to event
time ´t´: ´dep.checkpoint_time = t´ and ´dep.checkpoint_state´ = a copy of the dependent's current state.
If ´dep´ is down and ´t´ is later than the dependent's last pulse, it is up again; when no dependency is
down any more, the dependent is resumed and ´on_recovery(cp, dep)´ runs before the call returns. Raises
´checkpoint:heartbeat: checkpoint "activity": unknown dependency "wether" (known: weather)´.
`,
		Example: `
local cp = checkpoint.new("activity", {cache = cache.open("cp", {memory = true}),
  dependencies = {{name = "weather"}}})
cp:heartbeat(time.parse("2024-05-01 10:00:00"))
print(cp:dep().checkpoint_time)
`,
		SeeAlso: []string{"checkpoint.new", "checkpoint:pulse"},
	},
	{
		Module:  "checkpoint",
		Name:    "checkpoint:pulse",
		Syntax:  `downtime = cp:pulse(t [, state])`,
		Context: "top level, handler, hook; any worker",
		Text: `
Records, without waiting, that the dependent is at event time ´t´ and merges ´state´ (a table, e.g. the Kafka
offsets to reprocess from: ´{[tostring(meta.partition)] = meta.offset}´) into its state. A dependency without
a heartbeat yet starts at this ´t´ and state (no false alarm at start). A dependency whose downtime exceeds
its threshold is marked down: the dependent is paused and ´on_downtime(cp, dep)´ runs once, before the call
returns. Returns the downtime in seconds while any dependency is down, else nil. Raises
´checkpoint:pulse: t must be a number, got nil´.
`,
		Example: `
local cp = checkpoint.new("activity", {cache = cache.open("cp", {memory = true}),
  dependencies = {{name = "weather", threshold = "1h"}}})
cp:heartbeat(0)
print(cp:pulse(1800, {["0"] = 0}), cp:pulse(5400, {["0"] = 1}))  -- nil 5400
`,
		SeeAlso: []string{"checkpoint.new", "checkpoint:heartbeat"},
	},
	{
		Module:  "checkpoint",
		Name:    "checkpoint:dep",
		Syntax:  `dep = cp:dep([name])`,
		Context: "top level, handler, hook; any worker",
		Text: `
Returns, without waiting, a snapshot of a dependency (´name´ optional when there is only one):
´{name =, checkpoint_time =, checkpoint_state =, down =}´, the table ´on_downtime´ and ´on_recovery´
receive. ´checkpoint_time´ and ´checkpoint_state´ are nil before the first heartbeat or pulse; changing
the table changes nothing. Raises ´checkpoint:dep: checkpoint "activity": unknown dependency "x" (known: weather)´.
`,
		Example: `
local cp = checkpoint.new("activity", {cache = cache.open("cp", {memory = true}),
  dependencies = {{name = "weather", threshold = "1h"}}})
cp:pulse(100, {["0"] = 7})
local dep = cp:dep("weather")
print(dep.name, dep.checkpoint_time, dep.checkpoint_state["0"], dep.down)
`,
		SeeAlso: []string{"checkpoint.new"},
	},
}
