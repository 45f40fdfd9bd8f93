package bindings

// sourcesReference is the reference of the sources module (sources.go), beside it as
// benthos keeps a component's spec beside the component.
var sourcesReference = moduleRef{
	ModuleDoc: ModuleDoc{Name: "sources", Summary: "Where records come from. A source does nothing until a handler is bound to it with ´handle´."},
	Classes: []Class{
		{Name: "stdin.Options", Doc: "The options of ´stdin{}´.", Fields: []Field{{"codec", "streamctl.codec", "Default ´\"text\"´."}}},
		{Name: "file.Options", Doc: "The options of ´file{}´.", Fields: []Field{
			{"path", "string", "The file's path; required."},
			{"codec", "streamctl.codec", "Default ´\"text\"´."},
			{"follow", "boolean", "Read on at the end, like tail -F; default false."},
			{"from", "\"start\"|\"end\"", "Where a file without a stored position is read from; default ´\"start\"´."},
			{"append", "boolean", "As a sink: append to the file (true, the default) or truncate it."},
		}},
		{Name: "timer.Options", Doc: "The options of ´timer{}´.", Fields: []Field{
			{"every", "streamctl.duration", "The period; required."},
			{"count", "integer", "End after that many ticks; default 0, no end."},
			{"start_now", "boolean", "Tick once at once; default false."},
		}},
		{Name: "iterate.Options", Doc: "The options of ´iterate(items, opts)´.", Fields: []Field{{"every", "streamctl.duration", "Wait that long between two items."}}},
		{Name: "exec.Options", Doc: "The options of ´exec{}´.", Fields: []Field{
			{"cmd", "string[]", "The program and its arguments; required."},
			{"codec", "streamctl.codec", "Of its stdout; default ´\"text\"´."},
			{"dir", "string", "Its working directory."},
		}},
	},
	Entries: []Doc{
		{
			Module:  "sources",
			Name:    "stdin",
			Syntax:  `src = stdin([{codec = c}])`,
			Type:    "fun(opts?: stdin.Options): streamctl.endpoint",
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
			Type:    "fun(opts: file.Options): streamctl.endpoint",
			Context: "top level",
			Text: `
Returns a file that is a source (´handle(f, fn)´) and a sink (´{sink = f}´); it does not wait. As a
source it reads ´path´, decoded with ´codec´ (default ´"text"´), to its end; with ´follow = true´ it
keeps reading as the file grows, like ´tail -F´ (rotation and truncation included), and never ends on
its own; ´from = "end"´ (with ´follow´) skips what the file holds at start. When the job keeps state
(caches, windows, ´state.save´), the file's position (its identity and the byte offset after the last
committed line) is committed with the state, and a restart, ´kill -9´ included, reads on from there: a
different file at the path (rotated, or shorter than the offset) is read from its start, and ´from´
applies only where no position is stored (see "State commits"). Records have
´meta.source = "file:PATH"´. A missing file fails the run (exit 1) when the handler starts:
´streamctl: file app.log: open app.log: no such file or directory´. As a sink it writes one record per
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
			Type:    "fun(opts: timer.Options): streamctl.endpoint",
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
			Type:    "fun(items: any[]|fun(): any, opts?: iterate.Options): streamctl.endpoint",
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
			Type:    "fun(opts: exec.Options): streamctl.endpoint",
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
	},
}
