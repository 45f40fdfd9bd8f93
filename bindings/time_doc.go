package bindings

// timeReference is the reference of the time module (time.go), beside it as
// benthos keeps a component's spec beside the component.
var timeReference = moduleRef{
	ModuleDoc: ModuleDoc{Name: "time", Summary: "Times are Unix seconds as floats; layouts are strftime (´\"%Y-%m-%d %H:%M:%S\"´)."},
	Entries: []Doc{
		{
			Module:  "time",
			Name:    "time.now",
			Syntax:  `t = time.now()`,
			Type:    "fun(): number",
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
			Type:    "fun(text: string, layout?: string): number",
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
			Type:    "fun(t: number, layout?: string): string",
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
	},
}
