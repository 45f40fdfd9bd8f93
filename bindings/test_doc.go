package bindings

// testReference is the reference of the test-file API: the globals test
// and record that `streamctl test` (package streamtest) gives a test file,
// JOB_test.lua beside JOB.lua. They exist in test files only, not in
// scripts; streamtest's tests run their examples.
var testReference = moduleRef{
	ModuleDoc: ModuleDoc{Name: "test", Summary: `
Test files for ´streamctl test´: ´job_test.lua´ beside ´job.lua´ calls ´test(name, spec)´ once per case.
A case runs the script with fixture records in place of what it reads from outside (Kafka topics, HTTP
streams and responses, stdin), on a virtual clock, and compares what each sink received and what each
cache holds at the end with what the case expects; a mismatch prints a diff, and ´streamctl test´ ends
with ´N passed, N failed´ (exit 1 when one failed). The shape follows Redpanda Connect's config tests
(´input_batch´, ´output_batches´ with conditions) and Vector's unit tests (inputs inserted at a
component, outputs extracted from another), one step closer to the script: inputs are named by the
source they stand for, outputs by the sink.

The virtual clock starts at ´spec.start´ (default 2024-01-01T00:00:00Z) and moves only when the job has
nothing left to do: ´timer{}´ ticks, ´sleep´, ´time.now´, ´iterate´'s pacing, window ´idle´ checks,
cache TTLs and the delays between HTTP retries all follow it, so an hour of ticks takes milliseconds and
the same test gives the same result every time. ´meta.time´ of a tick is its virtual time.

What stands in for the outside world: ´stdin = ...´ is the script's stdin; ´inputs["kafka:NAME"]´ is the
content of a Kafka topic (every ´kafka.topic´ of a test is an in-memory topic: what the script produces
to it is appended, consumed like on Kafka, and seen by ´expect["kafka:NAME"]´; ´t:seek´, ´t:pause´ and
´t:resume´ work); ´inputs["http:URL"]´ are the events of ´http.stream(URL)´; ´http = {...}´ answers
´http.get´ and ´http.post´; files are read from disk, relative to the test file's directory, where the
case runs, but ´file{}´ sinks write nowhere (´expect["file:PATH"]´ sees their lines); ´http.serve´ listens
on a free port of 127.0.0.1. Each case gets a fresh state directory.

A fixture input stays open after its last record, like a real topic, until every record it delivered
was handled and the job has nothing to do: then it ends as a finite input does (windows are emitted).
´close_at´ ends it at a given time instead, so that ´idle´ checks and timers run in between. ´run_for´
stops the job (as ´stop()´ does) when the clock reaches ´start + run_for´, after what is due then; a job
that never ends without it fails the case after ´timeout´ of real time (default 30s).`},
	Classes: []Class{
		{Name: "test.Spec", Doc: "The spec of ´test(name, spec)´.", Fields: []Field{
			{"script", "string", "The script under test, relative to the test file; default the test file's name without ´_test´."},
			{"source", "string", "The script's code itself, instead of a file."},
			{"args", "table<string|integer, string|number>", "´args[i]´ (the list part) and ´--set k=v´ (the rest)."},
			{"env", "table<string, string>", "What ´env(name)´ finds."},
			{"start", "string|number", "Where the virtual clock starts: RFC 3339 or Unix seconds; default 2024-01-01T00:00:00Z."},
			{"run_for", "streamctl.duration", "Stop the job when the clock reaches start + run_for; default: when it ends by itself."},
			{"timeout", "streamctl.duration", "Fail the case after that much real time; default 30s."},
			{"stdin", "string|string[]", "The script's stdin: text, or a list of lines."},
			{"inputs", "table<string, test.Input>", "Fixture records by source: ´\"kafka:NAME\"´, ´\"http:URL\"´."},
			{"http", "table<string, test.Response>", "Responses to ´http.get´/´http.post´ by ´\"METHOD URL\"´ or URL; a POST without one gets 200."},
			{"expect", "test.Expect", "What the sinks and caches must hold."},
		}},
		{Name: "test.Input", Alias: "(any|test.Record)[]|{partitions: integer?, close_at: streamctl.duration?}",
			Doc: "An input: a list of values or ´record{}´s, and for a Kafka topic ´partitions´ (default 1); ´close_at´ ends it at start + close_at."},
		{Name: "test.Expect", Alias: "table<string, any>", Doc: "´stdout´, ´stderr´, ´\"file:PATH\"´, ´\"kafka:NAME\"´, ´\"http:URL\"´: the list of outputs each sink must have received, in order (a string matches a line of that text, any other value a line holding it as JSON, a ´record{}´ a Kafka record's key, value, headers, partition); ´caches = {NAME = {key = value, ...}}´: the whole content of each cache at the end; ´error´: text the job's error must contain (it must fail)."},
		{Name: "test.Record", Doc: "A record made with ´record{}´.", Fields: []Field{
			{"value", "any", "The value (the handler's first argument); for Kafka, encoded with the topic's codec."},
			{"raw", "string", "Kafka: the message's bytes as they are, not encoded (to test bad input)."},
			{"key", "any", "The key."},
			{"headers", "table<string, string>", "Kafka: the headers (in expect: those the record must have)."},
			{"partition", "integer", "Kafka: the partition; default 0."},
			{"at", "streamctl.duration", "When the record arrives, after the start; default at once."},
			{"time", "string|number", "Its event time (meta.time); default the arrival time."},
			{"event", "string", "SSE: the event's type; default \"message\"."},
			{"id", "string", "SSE: the event's id."},
		}},
		{Name: "test.Response", Doc: "An answer in ´spec.http´.", Fields: []Field{
			{"status", "integer", "Default 200."},
			{"body", "string|table", "A table is sent as JSON."},
			{"headers", "table<string, string>", ""},
		}},
	},
	Entries: []Doc{
		{
			Module:  "test",
			Name:    "test",
			Syntax:  `test(name, {[script = path | source = code] [, args =] [, env =] [, start =] [, run_for =] [, timeout =] [, stdin =] [, inputs =] [, http =] [, expect =]})`,
			Type:    "fun(name: string, spec: test.Spec)",
			Context: "test file",
			Text: `
Declares one case of the test file; it does not wait: ´streamctl test´ runs the cases after the file was
read, one after the other. See the module's introduction for what each field stands in for. Raises
´test: unknown option "expcet" (known: args, env, expect, http, inputs, run_for, script, source, start,
stdin, timeout)´ and ´test: inputs: "kafka-orders": name a source kafka:TOPIC or http:URL´.
`,
			Example: `
test("totals per customer", {
  source = [[
    local totals = kafka.topic("totals", {codec = "json"})
    handle(kafka.topic("orders", {codec = "json"}), {sink = totals}, function(o)
      return {customer = o.customer, total = o.qty * o.price}, o.customer
    end)
  ]],
  inputs = {["kafka:orders"] = {{customer = "ann", qty = 2, price = 3.5}}},
  expect = {["kafka:totals"] = {record{key = "ann", value = {customer = "ann", total = 7}}}},
})
`,
			SeeAlso: []string{"record"},
		},
		{
			Module:  "test",
			Name:    "record",
			Syntax:  `r = record{[value =] [, raw =] [, key =] [, headers =] [, partition =] [, at =] [, time =] [, event =] [, id =]}`,
			Type:    "fun(fields: test.Record): test.Record",
			Context: "test file",
			Text: `
Returns a record for ´inputs´ or ´expect´ when a plain value is not enough; it does not wait. In
´inputs´: the key, headers and partition of a Kafka record, its arrival (´at = "90s"´ after the start;
the source waits on the virtual clock until then) and event time, an SSE event's type and id. In
´expect´: the fields of a Kafka output to compare (those given; of ´headers´, those named). Raises
´record: unknown option "valeu" (known: at, event, headers, id, key, partition, raw, time, value)´.
`,
			Example: `
test("late records still count", {
  source = [[
    handle(kafka.topic("clicks"), function(v, meta) return v .. " at " .. time.format(meta.time) end)
  ]],
  inputs = {["kafka:clicks"] = {"a", record{value = "b", at = "1h"}}},
  expect = {stdout = {"a at 2024-01-01T00:00:00Z", "b at 2024-01-01T01:00:00Z"}},
})
`,
			SeeAlso: []string{"test"},
		},
	},
}
