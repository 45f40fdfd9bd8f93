package bindings

// stateReference is the reference of the state module (state.go), beside it as
// benthos keeps a component's spec beside the component.
var stateReference = moduleRef{
	ModuleDoc: ModuleDoc{Name: "state", Summary: "Saved state for collectors run from cron: load it at start, save after each unit of progress, so a crash resumes at the last save. Each name is its own database (´state/NAME´ in ´streamctl state ls´)."},
	Entries: []Doc{
		{
			Module:  "state",
			Name:    "state.load",
			Syntax:  `tbl = state.load(name [, default])`,
			Type:    "fun(name: string, default?: table): table",
			Context: "top level, handler, hook; any worker",
			Text: `
Returns the table last saved under ´name´ with ´state.save´, or ´default´ (a new empty table if not
given) when nothing was saved; it does not wait. The state lives in the state directory, so the next
run (or a run after a crash) loads what the last ´state.save´ stored. Raises
´state.load: name must be a string, got nil´ and, when another process holds it,
´state.load: state NAME (DIR) is in use by pid 1234´.
`,
			Example: `
local st = state.load("collector", {offset = 0})
print("resuming at", st.offset)
for i = 1, 3 do
  st.offset = st.offset + 1
  state.save("collector", st) -- after each unit of progress
end
`,
			SeeAlso: []string{"state.save", "cache.open"},
		},
		{
			Module:  "state",
			Name:    "state.save",
			Syntax:  `state.save(name, tbl)`,
			Type:    "fun(name: string, tbl: table)",
			Context: "top level, handler, hook; any worker",
			Text: `
Atomically replaces the state saved under ´name´ with a copy of ´tbl´, without waiting. Outside a
handler of a positioned source (a Kafka group, a file, an SSE stream) it returns once that is durable
against a process crash (fsynced); output written before it is flushed first, so after a crash the saved
state never claims more than the output shows. In a handler of a positioned source it is committed with
the source's position instead (see "State commits"), so a crash resumes the source exactly where the
saved state says. Raises
´state.save: tbl must be a table, got nil´ and ´state.save: function: value cannot be a record´.
`,
			Example: `
state.save("feed", {last_id = 42, seen = json.array{"a", "b"}})
print(json.encode(state.load("feed")))
`,
			SeeAlso: []string{"state.load"},
		},
	},
}
