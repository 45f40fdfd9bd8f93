package bindings

// logReference is the reference of the log module (log.go), beside it as
// benthos keeps a component's spec beside the component.
var logReference = moduleRef{
	ModuleDoc: ModuleDoc{Name: "log", Summary: "Structured logs on stderr, through the run's logger (´--log-format text|json´, ´--log-level´)."},
	Entries: []Doc{
		{
			Module:  "log",
			Name:    "log.info",
			Syntax:  `log.info(msg [, fields])`,
			Type:    "fun(msg: string, fields?: table)",
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
			Type:    "fun(msg: string, fields?: table)",
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
			Type:    "fun(msg: string, fields?: table)",
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
			Type:    "fun(msg: string, fields?: table)",
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
	},
}
