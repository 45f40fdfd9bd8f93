package bindings

// pipeReference is the reference of the pipe module (pipe.go), beside it as
// benthos keeps a component's spec beside the component.
var pipeReference = moduleRef{
	ModuleDoc: ModuleDoc{Name: "pipe", Summary: "Operators for ´handle(source, {pipe = {...}}, fn)´, applied in order to each record before the handler's function. Each operator keeps its own state: make one per handler."},
	Classes: []Class{
		{Name: "pipe.BatchOptions", Doc: "The options of ´pipe.batch{}´.", Fields: []Field{
			{"size", "integer", "Emit a batch once it holds that many records."},
			{"every", "streamctl.duration", "Emit the batch that long after its first record."},
		}},
		{Name: "pipe.DedupeOptions", Doc: "The options of ´pipe.dedupe{}´.", Fields: []Field{
			{"key", "fun(value: any, meta: streamctl.meta): any", "What makes two records the same; default the value."},
			{"ttl", "streamctl.duration", "How long a key is remembered; default forever."},
		}},
		{Name: "pipe.ThrottleOptions", Doc: "The options of ´pipe.throttle{}´.", Fields: []Field{{"rate", "number", "Records per second; required."}}},
	},
	Entries: []Doc{
		{
			Module:  "pipe",
			Name:    "pipe.map",
			Syntax:  `op = pipe.map(fn)`,
			Type:    "fun(fn: fun(value: any, meta: streamctl.meta): any): streamctl.operator",
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
			Type:    "fun(fn: fun(value: any, meta: streamctl.meta): boolean?): streamctl.operator",
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
			Type:    "fun(): streamctl.operator",
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
			Type:    "fun(fn?: fun(acc: any, value: any): any, init?: any): streamctl.operator",
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
			Type:    "fun(opts: pipe.BatchOptions): streamctl.operator",
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
			Type:    "fun(opts?: pipe.DedupeOptions): streamctl.operator",
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
			Type:    "fun(opts: pipe.ThrottleOptions): streamctl.operator",
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
	},
}
