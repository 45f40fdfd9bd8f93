package bindings

// coreReference is the reference of the core module (core.go), beside it as
// benthos keeps a component's spec beside the component.
var coreReference = moduleRef{
	ModuleDoc: ModuleDoc{Name: "core", Summary: "Handlers, hooks and the other globals of a script."},
	Classes: []Class{
		{Name: "handle.Options", Doc: "The options of ´handle(source, opts, fn)´.", Fields: []Field{
			{"name", "string", "The handler's name in logs and metrics; default ´\"handlerN\"´."},
			{"sink", "streamctl.sink|streamctl.sink[]", "Where outputs go; default ´stdout()´."},
			{"pipe", "streamctl.operator[]", "Pipe operators applied before the handler function."},
			{"workers", "integer", "Lua states running the handler in parallel; default 1."},
			{"key", "fun(value: any, meta: streamctl.meta): any", "Picks the worker: records with equal keys go to the same one."},
			{"on_error", "\"stop\"|\"skip\"|streamctl.sink", "What a failed record does: stop the job (default), skip it, or go to a dead-letter sink."},
			{"commit_interval", "streamctl.duration", "How often state is committed with the source's position; default 1s."},
			{"timeout", "streamctl.duration", "Stop a call that runs longer and hand it to on_error; default run --timeout, 0 for none."},
			{"retries", "integer", "Make a failed call again that many times before on_error; default 0."},
			{"retry_backoff", "streamctl.duration", "The wait before the first retry, doubled for each next one (at most 1m); default 1s."},
		}},
	},
	Entries: []Doc{
		{
			Module:    "core",
			Name:      "handle",
			Syntax:    `handle(source, [opts,] fn)`,
			Type:      "fun(source: streamctl.source, opts: handle.Options, fn: streamctl.handler)",
			Overloads: []string{"fun(source: streamctl.source, fn: streamctl.handler)"},
			Context:   "top level (a worker state gets its own copy of fn)",
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
and exit codes"); ´commit_interval´ (a duration, default 1s: how often what the job's handlers wrote to
caches, windows and checkpoints is committed together with the positions of their sources; the
shortest interval of the job's handlers applies; see "State commits"). Several handlers may share one
source object; each sees every record.

Limits: ´timeout´ (a duration) stops a call of the handler (one record through ´pipe´ and ´fn´) that
runs longer, also in a tight Lua loop or while it waits in ´sleep´ or ´http.get´, and hands the record
to ´on_error´ with ´job.lua:7: handler h ran longer than its timeout of 2s´; ´run --timeout´ is the
default of handlers without one, and ´timeout = 0´ turns it off. Only handlers with a timeout pay for
it: the VM checks the clock at each instruction for them alone. ´retries = n´ makes a failed call again,
from the start, up to ´n´ times before it meets ´on_error´, waiting ´retry_backoff´ (default 1s) and
then twice as long each time (at most 1m); effects of the failed attempt (cache writes, outputs) stay.

Dead letters: with a sink as ´on_error´, a failed record becomes ´{error=, handler=, source=,
attempts=, value=, meta=}´ (´meta´ holds the input's ´key´, and for Kafka its ´topic´, ´partition´,
´offset´ and ´headers´), written to that sink. A Kafka topic as ´on_error´ gets instead the record as it
came in, key and value bytes unchanged, with its headers and these more, as Kafka Streams' dead-letter
queue writes them: ´__streams.errors.exception´ (´streamctl.HandlerError´, ´streamctl.Timeout´ or
´streamctl.BadInput´), ´__streams.errors.message´, ´__streams.errors.topic´, ´__streams.errors.partition´,
´__streams.errors.offset´, and ´__streamctl.errors.handler´, ´__streamctl.errors.source´,
´__streamctl.errors.attempts´. Replaying a dead letter is producing it to its topic again.

Raises ´handle: only allowed at the top level of the script´,
´handle: source must be a source such as stdin() or timer{every=1}, got number´,
´handle: stdout is a sink, not a source´,
´handle: unknown option "sinks" (known: commit_interval, key, name, on_error, pipe, retries, retry_backoff, sink, timeout, workers)´,
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
			Type:    "fun(value: any, key?: streamctl.key)",
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
			Type:    "fun()",
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
			Type:    "fun(fn: fun())",
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
			Type:    "fun(fn: fun(err: string?))",
			Context: "top level (ignored in worker states)",
			Text: `
Registers ´fn(err)´ to run once after every handler has drained, and returns at once without waiting.
It runs when the input ends, after ´stop()´, after a handler failed and on SIGINT/SIGTERM (not when
the top level failed), once the sinks have delivered what the handlers wrote (Kafka acks included).
´err´ is nil when all went well, else the message the run will exit with
(´"job.lua:2: boom (record stdin:2)"´), so a hook that prints "done" can say nothing after a failure.
´fn´ runs as a coroutine of the main state: it may wait and ´emit´ (to stdout), typically to print
totals. Raises ´on_stop: fn must be a function, got nil´.
`,
			Example: `
local total = 0
handle(iterate{1, 2, 3}, function(n) total = total + n end)
on_stop(function(err)
  if err then return end -- streamctl prints the error
  print("total", total)
end)
`,
			SeeAlso: []string{"on_start", "stop"},
		},
		{
			Module:  "core",
			Name:    "sleep",
			Syntax:  `sleep(d)`,
			Type:    "fun(d: streamctl.duration)",
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
			Type:    "fun(name: string, default?: any): string|any",
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
			Type:    "fun(...: any)",
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
			Name:    "error",
			Syntax:  `error(value [, level])`,
			Type:    "fun(value: any, level?: integer)",
			Context: "top level, handler, hook, pipe; any worker",
			Text: `
Raises ´value´ as Lua's ´error´ does, without waiting, and does not return: ´pcall´ gets ´value´
itself, tables included.
It replaces Lua's ´error´ so that an error nobody catches says what happened: a string gets the script
position as in Lua (´level´ 1, the default, is the caller of ´error´; 2 its caller; 0 none), and any
other value gets that position too and prints as its ´__tostring´, else its ´message´ or ´msg´ string
field, else the table as compact JSON: ´error({code = 7})´ on line 3 of job.lua ends the run with
´streamctl: job.lua:3: {"code":7}´, ´error({message = "no user", code = 7})´ with
´streamctl: job.lua:3: no user´.
`,
			Example: `
local ok, err = pcall(error, {code = 7, message = "no user"})
print(ok, err.code, err.message)
`,
			SeeAlso: []string{"handle"},
		},
		{
			Module:  "core",
			Name:    "string.upper",
			Syntax:  `s = string.upper(text)` + "\n" + `s = text:upper()`,
			Type:    "fun(text: string): string",
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
			Type:    "fun(text: string): string",
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
			Name:    "string.rep",
			Syntax:  `s = string.rep(text, n)` + "\n" + `s = text:rep(n)`,
			Type:    "fun(text: string, n: integer): string",
			Context: "top level, handler, hook, pipe; any worker",
			Text: `
Returns ´n´ copies of ´text´ one after the other; it does not wait. A result larger than the size limit
(´run --max-value-size´, default 256 MiB) is never built: it raises
´string.rep: the result would be 1 TiB, over the size limit of 256 MiB (run --max-value-size)´, an
error the handler's ´on_error´ gets, where gopher-lua's own would end the process out of memory. The
same limit holds for ´..´: a concatenation of two or more operands that are not constants checks the
size of its result (´s = s .. s´ in a loop raises ´string concatenation (..): the result would be
512 MiB, over the size limit of 256 MiB (run --max-value-size)´), as do ´string.format´ and
´string.gsub´.
`,
			Example: `
print(("ab"):rep(3), pcall(string.rep, "x", 2^40))
`,
			SeeAlso: []string{"table.concat", "handle"},
		},
		{
			Module:  "core",
			Name:    "string.format",
			Syntax:  `s = string.format(fmt, ...)` + "\n" + `s = fmt:format(...)`,
			Type:    "fun(fmt: string, ...: any): string",
			Context: "top level, handler, hook, pipe; any worker",
			Text: `
Formats its arguments as Lua's (´%d´, ´%s´, ´%q´, ´%5.2f´, ...); it does not wait. A result larger
than the size limit (´run --max-value-size´) raises
´string.format: the result would be 512 MiB, over the size limit of 256 MiB (run --max-value-size)´,
so a string doubled through it in a loop stops at the limit.
`,
			Example: `
print(string.format("%s=%d", "n", 3))
`,
			SeeAlso: []string{"string.rep", "string.gsub"},
		},
		{
			Module:  "core",
			Name:    "string.gsub",
			Syntax:  `s, n = string.gsub(text, pattern, repl [, max])` + "\n" + `s, n = text:gsub(pattern, repl [, max])`,
			Type:    "fun(text: string, pattern: string, repl: string|table|function, max?: integer): string, integer",
			Context: "top level, handler, hook, pipe; any worker",
			Text: `
Returns ´text´ with the matches of ´pattern´ replaced by ´repl´ (a string with ´%0´-´%9´, a table or a
function), and the number of matches, as Lua's; it does not wait. A result larger than the size limit
(´run --max-value-size´) raises ´string.gsub: the result would be 512 MiB, over the size limit of
256 MiB (run --max-value-size)´. gopher-lua's gsub takes time quadratic in the number of matches: a
string of a megabyte with a match per byte takes minutes, which a handler's ´timeout´ bounds.
`,
			Example: `
print(("a-b-c"):gsub("-", "+"))
`,
			SeeAlso: []string{"string.format"},
		},
		{
			Module:  "core",
			Name:    "table.concat",
			Syntax:  `s = table.concat(list [, sep [, i [, j]]])`,
			Type:    "fun(list: table, sep?: string, i?: integer, j?: integer): string",
			Context: "top level, handler, hook, pipe; any worker",
			Text: `
Returns the strings and numbers ´list[i..j]´ joined by ´sep´, as Lua's; it does not wait. A result
larger than the size limit (´run --max-value-size´) raises
´table.concat: the result would be 1.2 GiB, over the size limit of 256 MiB (run --max-value-size)´
instead of being built.
`,
			Example: `
print(table.concat({"a", "b", 3}, ","))
`,
			SeeAlso: []string{"string.rep", "table.insert"},
		},
		{
			Module:    "core",
			Name:      "table.insert",
			Syntax:    `table.insert(list, [pos,] value)`,
			Type:      "fun(list: table, pos: integer, value: any)",
			Overloads: []string{"fun(list: table, value: any)"},
			Context:   "top level, handler, hook, pipe; any worker",
			Text: `
Inserts ´value´ into ´list´ at ´pos´ (default: the end), as Lua's; it does not wait. A list that would
grow past the size limit (´run --max-value-size´ divided by 16 bytes an entry: 16777216 entries by
default) raises ´table.insert: the table would hold more than 16777216 entries, over the size limit of
256 MiB (run --max-value-size)´. A table grown with ´t[#t + 1] = v´ is not checked at each step (it
grows by one entry an instruction, as fast as the loop runs): a handler's ´timeout´ bounds such a loop.
`,
			Example: `
local t = {}
table.insert(t, "b")
table.insert(t, 1, "a")
print(table.concat(t, " "))
`,
			SeeAlso: []string{"table.concat"},
		},
		{
			Module:  "core",
			Name:    "args",
			Syntax:  `value = args.name; value = args[i]`,
			Type:    "table<string|integer, string>",
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
	},
}
