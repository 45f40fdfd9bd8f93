package bindings

// kafkaReference is the reference of the kafka module (kafka.go), beside it as
// benthos keeps a component's spec beside the component.
var kafkaReference = moduleRef{
	ModuleDoc: ModuleDoc{Name: "kafka", Summary: "Kafka topics as sources and sinks, on franz-go. Brokers come from ´conf.brokers´, else ´--brokers´ or ´$STREAMCTL_BROKERS´, else ´127.0.0.1:9092´ (´streamctl dev-broker´). Consuming is at-least-once: an input's offset is committed only after every sink accepted its outputs, producer acks included; commits happen every second, on rebalance and at shutdown. Records of one partition are processed in order, also with ´workers = N´."},
	Entries: []Doc{
		{
			Module:  "kafka",
			Name:    "kafka.topic",
			Syntax:  `t = kafka.topic(name [, {brokers=, group=, offset=, codec=, key_codec=, acks=, idempotent=, auto_create=, dial_timeout=, session_timeout=, exactly_once=, isolation=, transaction_timeout=, sasl=, tls=}])`,
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
answering before moving its partitions; default franz-go's 45s), ´exactly_once´ (default false; with
a ´group´: the handler's outputs to Kafka sinks, the changelogs of caches partitioned by the topic and
the input offsets commit in one Kafka transaction, so a ´read_committed´ consumer sees each output once),
´isolation´ (´"read_uncommitted"´ or ´"read_committed"´: whether consuming skips records of transactions
not committed; default ´"read_committed"´ with ´exactly_once´, else ´"read_uncommitted"´),
´transaction_timeout´ (default 10s: how long the broker keeps a transaction of a killed process whose state
directory is lost open before aborting it), ´sasl = {mechanism = "PLAIN"|"SCRAM-SHA-256"|"SCRAM-SHA-512", user=,
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
	},
}
