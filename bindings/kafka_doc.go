package bindings

// kafkaReference is the reference of the kafka module (kafka.go), beside it as
// benthos keeps a component's spec beside the component.
var kafkaReference = moduleRef{
	ModuleDoc: ModuleDoc{Name: "kafka", Summary: "Kafka topics as sources and sinks, on franz-go. Brokers come from ´conf.brokers´, else ´--brokers´ or ´$STREAMCTL_BROKERS´, else ´127.0.0.1:9092´ (´streamctl dev-broker´). Consuming is at-least-once: an input's offset is committed only after every sink accepted its outputs, producer acks included; commits happen every second, on rebalance and at shutdown. When the job keeps state, each partition's offset is committed with the state (exactly-once state: see \"State commits\") and the group's offsets after it. Records of one partition are processed in order, also with ´workers = N´."},
	Classes: []Class{
		{Name: "kafka.TopicOptions", Doc: "The options of ´kafka.topic(name, opts)´.", Fields: []Field{
			{"brokers", "string|string[]", "host:port of the brokers; default --brokers, else 127.0.0.1:9092."},
			{"group", "string", "Consumer group: at-least-once consuming with committed offsets."},
			{"offset", "\"earliest\"|\"latest\"|integer", "Where consuming starts without a committed offset."},
			{"codec", "streamctl.codec", "Of values; default ´\"bytes\"´."},
			{"key_codec", "streamctl.codec", "Of keys; default ´\"text\"´."},
			{"acks", "\"all\"|\"leader\"|\"none\"", "Producer acks; default ´\"all\"´."},
			{"idempotent", "boolean", "Idempotent producing; default true with acks = all."},
			{"sasl", "kafka.SASL", "SASL authentication."},
			{"tls", "kafka.TLS", "TLS."},
			{"auto_create", "boolean", "Ask the broker to create a missing topic; default false."},
			{"dial_timeout", "streamctl.duration", "Default 10s."},
			{"session_timeout", "streamctl.duration", "The group session timeout."},
			{"exactly_once", "boolean", "Consume and produce in Kafka transactions (exactly-once Kafka to Kafka); default false."},
			{"isolation", "\"read_uncommitted\"|\"read_committed\"", "Which records of transactions are read."},
			{"transaction_timeout", "streamctl.duration", "How long the broker waits before aborting an open transaction."},
		}},
		{Name: "kafka.SASL", Doc: "SASL settings of a topic.", Fields: []Field{
			{"mechanism", "\"PLAIN\"|\"SCRAM-SHA-256\"|\"SCRAM-SHA-512\"", "Default ´\"PLAIN\"´."},
			{"user", "string", ""},
			{"password", "string", ""},
		}},
		{Name: "kafka.TLS", Doc: "TLS settings of a topic.", Fields: []Field{
			{"ca", "string", "CA certificate file."},
			{"cert", "string", "Client certificate file."},
			{"key", "string", "Client key file."},
			{"insecure", "boolean", "Skip verifying the broker's certificate."},
		}},
	},
	Entries: []Doc{
		{
			Module:  "kafka",
			Name:    "kafka.topic",
			Syntax:  `t = kafka.topic(name [, {brokers=, group=, offset=, codec=, key_codec=, acks=, idempotent=, auto_create=, dial_timeout=, session_timeout=, exactly_once=, isolation=, transaction_timeout=, sasl=, tls=}])`,
			Type:    "fun(name: string, opts?: kafka.TopicOptions): streamctl.topic",
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
			Type:    "fun(value: any, key?: any, headers?: table<string, string>)",
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
			Type:    "fun(offsets: table<integer|string, integer>)",
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
			Type:    "fun()",
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
			Type:    "fun()",
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
