package bindings

// concepts are the pages of prose shown before the reference, like the
// nginx README's "Data Sharing within an Nginx Worker".
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
	{Title: "State commits", Text: `
What handlers write to caches, windows and checkpoints (and ´state.save´ in a handler of a Kafka group,
a file or an SSE stream) is kept in memory, visible to every read of the job, and committed every
´commit_interval´ (a ´handle´ option, default 1s; the shortest of the job's handlers applies), when
Kafka revokes a partition, and when the job ends, together with the position of every positioned
source: the next offset of each Kafka partition of a group, the file and byte offset of a ´file{}´,
the last event ID of an SSE stream. A commit waits until every record handed to a handler is done and
every sink flushed (Kafka acks included), then writes the state and the positions in one atomic write.
After a crash, ´kill -9´ included, the job resumes each source after its committed position: the state
holds every record's effect exactly once, and the records since the last commit are handled again, so
their outputs may repeat (exactly-once state, at-least-once outputs). A failed job, or one stopped while
a handler was waiting mid-record, commits nothing more; the next run resumes from the last commit.

Writes from the top level, hooks and other callbacks are durable when the call returns. One job holds a
state directory at a time (exit 75 for a second one); ´streamctl state ls|get|dump´ read the holder's
last commit through a socket in the directory. docs/guarantees.md says what survives what.
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
	{Title: "Scaling out on Kafka consumer groups", Text: `
Several ´streamctl run´ processes with the same script and ´group´, each with its own state directory,
share a topic's partitions, and their state moves with the partitions (docs/scaling.md has the whole
story). ´cache.open(name, {partitioned_by = t})´ keeps one shard per partition of ´t´: a handler of ´t´
works on the shard of its record's partition; every commit also produces the shard's changed keys to the
compacted changelog topic ´<group>-<name>-changelog´, in a Kafka transaction with the input offsets.
When the group assigns a partition to a process, its shards are restored from the changelog (from the
local copy's offset, or from the start) before any of its records is handled, while the other
partitions keep flowing; a revoked partition is committed and its shards closed. Produce the input keyed
by what you aggregate by, so that all records of a key are in one partition.

´exactly_once = true´ on the source also puts the handler's outputs to Kafka sinks in the transaction:
a consumer with ´isolation = "read_committed"´ sees each output once, across ´kill -9´ and rebalances.
´cache.open(name, {global = "TOPIC"})´ keeps the whole of a compacted topic in every process, for
lookups. ´streamctl dev-broker´ runs all of it.
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
Lines are at most 16 MiB (without the line end) for the line codecs, ´"text"´, ´"json"´ and Lua
codecs, in ´run´ and in ´streamctl pipe´: a longer line is bad input, ´stdin:3: line longer than 16
MiB´, and ´on_error = "skip"´ goes on at the next line.

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
An error in a handler also names the record: ´streamctl: job.lua:2: boom (record stdin:2)´, for Kafka
´(record kafka:orders partition 2 offset 17)´. Option tables are checked: an unknown key is an error
that lists the known ones. So are module tables: reading a name a module lacks raises
´job.lua:3: json.encod is nil (known: array, decode, encode, null)´ instead of giving nil. ´error´ with
a table prints its ´message´ (or ´msg´) field, else the table as JSON, after the line:
´streamctl: job.lua:3: {"code":7}´ (see ´error´).

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
| 75 | the state directory is held by another process (one job per state directory): the message names the directory and the holder's pid; ´streamctl state ls´, ´get´ and ´dump´ still read it; try again when that process is done |
| 130 | interrupted by SIGINT or SIGTERM |

On the first SIGINT or SIGTERM sources stop, records already read are drained through handlers and
sinks, ´on_stop´ hooks run, output is flushed and streamctl exits 130; a second signal exits 130 at once.
`},
}
