package bindings

// jsonReference is the reference of the json module (json.go), beside it as
// benthos keeps a component's spec beside the component.
var jsonReference = moduleRef{
	ModuleDoc: ModuleDoc{Name: "json", Summary: "JSON values in Lua, with the lua-cjson conventions (´json.null´, array marks)."},
	Entries: []Doc{
		{
			Module:  "json",
			Name:    "json.encode",
			Syntax:  `text = json.encode(value)`,
			Type:    "fun(value: any): string",
			Context: "top level, handler, hook, pipe; any worker",
			Text: `
Returns ´value´ as compact JSON text; it does not wait. Tables marked as arrays (decoded from JSON or
made with ´json.array´) and tables with exactly the keys 1..n become arrays, other tables objects (an
unmarked empty table is ´{}´), in insertion order; integral numbers are written without a decimal point;
nil and ´json.null´ are null. Strings are bytes: a byte that is not part of valid UTF-8 is written as it
is (never replaced by U+FFFD), so such a string gives JSON that other tools may not read as UTF-8, and
´json.decode´ reads the same bytes back. Raises ´json.encode: value expected´,
´json.encode: cannot encode a function as JSON´ and
´json.encode: table nested more than 200 levels (a cycle?)´.
`,
			Example: `
print(json.encode({name = "ann", tags = json.array{}, n = 3}))
print(json.encode({1, 2, 3}), json.encode({}), json.encode(json.null))
`,
			SeeAlso: []string{"json.decode", "json.array", "json.null"},
		},
		{
			Module:  "json",
			Name:    "json.decode",
			Syntax:  `value = json.decode(text)`,
			Type:    "fun(text: string): any",
			Context: "top level, handler, hook, pipe; any worker",
			Text: `
Parses one JSON document and returns it as a Lua value; it does not wait. Objects become tables (keys in
document order; a repeated key keeps its last value), arrays tables with an array mark (so ´[]´ encodes
back as ´[]´), null ´json.null´ (´json.decode("null")´ too), numbers Lua numbers (exact for integers up
to 2^53; longer integers keep their digits, see "Codecs and JSON values"). The text must be RFC 8259
JSON, as every JSON input of streamctl: see "Codecs and JSON values". Raises
´json.decode: invalid JSON: invalid number "-2." (column 2)´,
´json.decode: invalid JSON: expected a string key, got the end of the document (column 2)´ and
´json.decode: text must be a string, got nil´.
`,
			Example: `
local v = json.decode('{"id": 7, "tags": [], "parent": null}')
print(v.id, #v.tags, v.parent == json.null, json.encode(v.tags))
`,
			SeeAlso: []string{"json.encode", "json.null"},
		},
		{
			Module:  "json",
			Name:    "json.null",
			Syntax:  `json.null`,
			Type:    "streamctl.null",
			Context: "top level, handler, hook, pipe; any worker",
			Text: `
The value of JSON null inside tables; using it does not wait. It is truthy and equal only to itself, so
test it with ´v == json.null´; ´tostring´ gives ´"null"´, and it encodes back to null in ´json.encode´
and in every sink. Decoded records hold it wherever their JSON had null.
`,
			Example: `
local rec = json.decode('{"email": null}')
if rec.email == json.null then print("no email") end
print(json.encode({email = json.null}))
`,
			SeeAlso: []string{"json.decode"},
		},
		{
			Module:  "json",
			Name:    "json.array",
			Syntax:  `t = json.array([t])`,
			Type:    "fun(t?: table): table",
			Context: "top level, handler, hook, pipe; any worker",
			Text: `
Marks ´t´ (or a new empty table) as a JSON array and returns it; it does not wait. A marked table
encodes as an array even when empty; unmarked tables with keys 1..n are arrays anyway. Raises when ´t´
is neither nil nor a table.
`,
			Example: `
local tags = json.array()
print(json.encode({tags = tags}), json.encode({tags = {}}))
table.insert(tags, "new")
print(json.encode(tags))
`,
			SeeAlso: []string{"json.encode"},
		},
	},
}
