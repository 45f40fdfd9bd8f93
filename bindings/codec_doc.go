package bindings

// codecReference is the reference of the codec module (codec.go), beside it as
// benthos keeps a component's spec beside the component.
var codecReference = moduleRef{
	ModuleDoc: ModuleDoc{Name: "codec", Summary: "Codecs built from options. Codecs are otherwise named by a string (´\"json\"´) or written in Lua as a table ´{encode=, decode=}´: see \"Codecs and JSON values\"."},
	Classes: []Class{
		{Name: "avro.Options", Doc: "The options of ´avro{}´.", Fields: []Field{{"schema", "string", "The schema: a path to a file, or the schema's JSON."}}},
	},
	Entries: []Doc{
		{
			Module:  "codec",
			Name:    "avro",
			Syntax:  `c = avro{schema = s}`,
			Type:    "fun(opts: avro.Options): streamctl.codecobj",
			Context: "top level, handler, hook; any worker",
			Text: `
Returns an Avro codec for the ´codec´ option of sources and sinks; it does not wait. ´s´ is the schema's
JSON text or the path of an ´.avsc´ file (read at once). Records are plain binary Avro datums, without
the object container format or a schema registry header; Avro records decode to tables in the schema's
field order, ´int´ and ´long´ to integers, ´bytes´ to strings. Raises
´avro: schema must be a schema (JSON text or a .avsc path), got nil´ and
´avro: avro: parse schema: ...´.
`,
			Example: `
local point = avro{schema = [[{"type": "record", "name": "Point",
  "fields": [{"name": "x", "type": "long"}, {"name": "y", "type": "long"}]}]]}
handle(iterate{{x = 1, y = 2}}, {sink = file{path = "points.avro", codec = point}}, function(p)
  return p
end)
`,
			SeeAlso: []string{"json.encode"},
		},
	},
}
