package bindings

// sinksReference is the reference of the sinks module (sinks.go), beside it as
// benthos keeps a component's spec beside the component.
var sinksReference = moduleRef{
	ModuleDoc: ModuleDoc{Name: "sinks", Summary: "Where a handler's outputs go (´opts.sink´; the default is ´stdout()´). A sink may also be any Lua function ´function(value, key, meta)´, and ´file{}´ is a sink too.", Also: []string{"file"}},
	Classes: []Class{
		{Name: "stdout.Options", Doc: "The options of ´stdout{}´ and ´stderr{}´.", Fields: []Field{{"codec", "streamctl.codec", "Default ´\"text\"´."}}},
	},
	Entries: []Doc{
		{
			Module:  "sinks",
			Name:    "stdout",
			Syntax:  `sink = stdout([{codec = c}])`,
			Type:    "fun(opts?: stdout.Options): streamctl.endpoint",
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
			Type:    "fun(opts?: stdout.Options): streamctl.endpoint",
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
	},
}
