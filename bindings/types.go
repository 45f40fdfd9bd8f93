package bindings

import (
	"fmt"
	"sort"
	"strings"
)

// The types of the API, for editors (`streamctl types`, a lua-language-server
// definition file) and for `streamctl check`: each Doc's Type and Overloads,
// the Classes of each module's reference, and the common types below. They
// are part of the reference, so the definitions and the docs never disagree;
// types_test.go checks that every documented function and option is typed.

// Class is a type the API names: an object (streamctl.cache), an option
// table (cache.OpenOptions), a record (http.Response), or, with Alias, a
// name for a union of types.
type Class struct {
	Name string
	// Parent is the class this one extends: its fields are this one's too.
	Parent string
	// Doc is Markdown.
	Doc    string
	Fields []Field
	// Alias, when set, makes Name a name for this type:
	// ---@alias streamctl.duration string|number.
	Alias string
}

// Field is one field of a Class: an option, a record's field.
type Field struct {
	Name string
	Type string
	Doc  string
}

// commonClasses are the types that belong to no one module: aliases, the
// objects whose methods are entries "cache:get" (Methods fills them in) and
// what handlers get.
var commonClasses = []Class{
	{Name: "streamctl.duration", Alias: "string|number", Doc: "A duration: ´\"500ms\"´, ´\"1h30m\"´, or a number of seconds."},
	{Name: "streamctl.key", Alias: "string|number|boolean|(string|number|boolean)[]", Doc: "A cache key: a string, number or boolean, or a list of them (a tuple)."},
	{Name: "streamctl.source", Alias: "streamctl.endpoint|streamctl.topic", Doc: "A source of records: ´stdin()´, ´file{}´, ´timer{}´, ´iterate()´, ´exec{}´, ´http.stream()´, ´c:updates()´ or a Kafka topic."},
	{Name: "streamctl.sink", Alias: "streamctl.endpoint|streamctl.topic|streamctl.cache|fun(value: any, key: any, meta: streamctl.meta)", Doc: "Where outputs go: ´stdout()´, ´stderr()´, ´file{}´, ´http.post(url)´, a Kafka topic, a cache, or a function ´function(value, key, meta)´."},
	{Name: "streamctl.codec", Alias: "string|streamctl.codecobj|{encode: fun(value: any): string, decode: fun(text: string): any}", Doc: "A codec: ´\"text\"´, ´\"json\"´, ´\"csv\"´, ´\"bytes\"´, ´\"msgpack\"´, ´avro{}´ or a table ´{encode=, decode=}´."},
	{Name: "streamctl.handler", Alias: "fun(value: any, meta: streamctl.meta): any, any", Doc: "A handler: returns the output value and its key, or nil for none."},
	{Name: "streamctl.endpoint", Doc: "A source or a sink: ´stdin()´, ´stdout()´, ´file{}´, ´timer{}´, ´iterate()´, ´exec{}´, ´http.stream()´, ´http.post(url)´, ´c:updates()´."},
	{Name: "streamctl.codecobj", Doc: "A codec built from options: ´avro{}´."},
	{Name: "streamctl.null", Doc: "´json.null´: JSON null, truthy, equal only to itself."},
	{Name: "streamctl.operator", Doc: "A pipe operator for ´opts.pipe´ of ´handle´: ´pipe.map(fn)´, ´window.tumbling{}´, ..."},
	{Name: "streamctl.window", Parent: "streamctl.operator", Doc: "A window operator: ´window.tumbling{}´, ´window.hopping{}´, ´window.sliding{}´, ´window.session{}´. Its outputs are ´{key=, start=, [\"end\"]=, value=}´."},
	{Name: "streamctl.meta", Doc: "The metadata of a record, the handler's second argument.", Fields: []Field{
		{"source", "string", "The source's name: ´\"stdin\"´, ´\"file:PATH\"´, ´\"kafka:TOPIC\"´, ..."},
		{"key", "any", "The record's key, when it has one."},
		{"time", "number?", "Event time in Unix seconds, when the source has one."},
		{"topic", "string?", "Kafka: the topic."},
		{"partition", "integer?", "Kafka: the partition."},
		{"offset", "integer?", "Kafka: the offset."},
		{"headers", "table<string, string>?", "Kafka: the headers."},
		{"event", "string?", "SSE: the event's type."},
		{"id", "string?", "SSE: the event's id."},
	}},
	{Name: "streamctl.cache", Doc: "A cache from ´cache.open´. ´c(key, value)´ stores and publishes to ´c:updates()´."},
	{Name: "streamctl.topic", Doc: "A Kafka topic from ´kafka.topic´: a source and a sink."},
	{Name: "streamctl.server", Doc: "An HTTP server from ´http.serve´."},
	{Name: "streamctl.checkpoint", Doc: "A checkpoint from ´checkpoint.new´."},
}

// ObjectClass returns the class of the objects whose methods are the
// entries "prefix:name" ("cache" -> "streamctl.cache").
func ObjectClass(prefix string) string { return "streamctl." + prefix }

// Classes returns every class of the API: the common ones, then each
// module's, in reference order.
func Classes() []Class {
	out := append([]Class(nil), commonClasses...)
	for _, r := range reference {
		out = append(out, r.Classes...)
	}
	for i := range out {
		out[i].Doc = md(out[i].Doc)
		fields := make([]Field, len(out[i].Fields))
		for j, f := range out[i].Fields {
			f.Doc = md(f.Doc)
			fields[j] = f
		}
		out[i].Fields = fields
	}
	return out
}

// ClassFields returns the fields of the class name, its parents' included,
// and whether the class exists.
func ClassFields(name string) ([]Field, bool) {
	byName := map[string]Class{}
	for _, c := range Classes() {
		byName[c.Name] = c
	}
	c, ok := byName[name]
	if !ok {
		return nil, false
	}
	var fields []Field
	for seen := map[string]bool{}; ; {
		fields = append(fields, c.Fields...)
		seen[c.Name] = true
		p, ok := byName[c.Parent]
		if c.Parent == "" || !ok || seen[p.Name] {
			return fields, true
		}
		c = p
	}
}

// Signature is a function type parsed from a Type: "fun(a: T, b?: U): R".
type Signature struct {
	Params  []Param
	Returns []string
}

// Param is one parameter of a Signature.
type Param struct {
	Name     string
	Type     string
	Optional bool
}

// ParseSignature parses a function type "fun(name: string, opts?: T): R1,
// R2", with "...: T" for variadic arguments. ok is false when t is not a
// function type.
func ParseSignature(t string) (sig Signature, ok bool) {
	t = strings.TrimSpace(t)
	if !strings.HasPrefix(t, "fun(") {
		return sig, false
	}
	end := matching(t, 3)
	if end < 0 {
		return sig, false
	}
	for _, p := range splitTop(t[4:end]) {
		name, typ, _ := strings.Cut(p, ":")
		name, typ = strings.TrimSpace(name), strings.TrimSpace(typ)
		opt := strings.HasSuffix(name, "?")
		sig.Params = append(sig.Params, Param{Name: strings.TrimSuffix(name, "?"), Type: typ, Optional: opt})
	}
	rest := strings.TrimSpace(t[end+1:])
	if r, ok := strings.CutPrefix(rest, ":"); ok {
		for _, x := range splitTop(r) {
			// A function returned takes the results after it: "fun():
			// k, v" is an iterator of pairs, as lua-language-server reads it.
			if n := len(sig.Returns); n > 0 && strings.HasPrefix(sig.Returns[n-1], "fun(") {
				sig.Returns[n-1] += ", " + x
				continue
			}
			sig.Returns = append(sig.Returns, strings.TrimSpace(x))
		}
	}
	return sig, true
}

// matching returns the index of the bracket closing the one at open.
func matching(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '(', '<', '{', '[':
			depth++
		case ')', '>', '}', ']':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// splitTop splits s at the commas outside brackets; a function type's
// returns ("fun(): a, b") end the piece only at the outer level.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '<', '{', '[':
			depth++
		case ')', '>', '}', ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if tail := strings.TrimSpace(s[start:]); tail != "" {
		out = append(out, tail)
	}
	return out
}

// TypesLua returns the lua-language-server definition file of the API
// (`streamctl types`): ---@meta, the classes and aliases, and every
// documented function and value with its description, parameters and
// results.
func TypesLua() string {
	var b strings.Builder
	b.WriteString("---@meta streamctl\n")
	b.WriteString("-- The streamctl Lua API for lua-language-server, generated by `streamctl types`\n")
	b.WriteString("-- from the reference that `streamctl docs` prints; do not edit. Point the\n")
	b.WriteString("-- language server's workspace.library at this file (see the README).\n")
	docs := Docs()
	methods := map[string][]Doc{}
	for _, d := range docs {
		if prefix, _, ok := strings.Cut(d.Name, ":"); ok {
			methods[ObjectClass(prefix)] = append(methods[ObjectClass(prefix)], d)
		}
	}
	for _, c := range Classes() {
		b.WriteString("\n")
		writeComment(&b, c.Doc)
		if c.Alias != "" {
			fmt.Fprintf(&b, "---@alias %s %s\n", c.Name, c.Alias)
			continue
		}
		if c.Parent != "" {
			fmt.Fprintf(&b, "---@class %s: %s\n", c.Name, c.Parent)
		} else {
			fmt.Fprintf(&b, "---@class %s\n", c.Name)
		}
		if c.Name == "streamctl.cache" {
			b.WriteString("---@overload fun(key: streamctl.key, value: any)\n")
		}
		for _, f := range c.Fields {
			fmt.Fprintf(&b, "---@field %s %s %s\n", luaFieldName(f.Name), f.Type, oneLineDoc(f.Doc))
		}
		ms := methods[c.Name]
		if len(ms) == 0 {
			continue
		}
		local := strings.ReplaceAll(c.Name, ".", "_")
		fmt.Fprintf(&b, "local %s = {}\n", local)
		for _, d := range ms {
			_, method, _ := strings.Cut(d.Name, ":")
			b.WriteString("\n")
			writeFunction(&b, d, local+":"+method)
		}
	}
	// Module tables, then their functions and values, in reference order.
	tables := map[string]bool{}
	for _, d := range docs {
		if strings.Contains(d.Name, ":") {
			continue
		}
		if mod, _, ok := strings.Cut(d.Name, "."); ok && !tables[mod] && mod != "string" {
			tables[mod] = true
			fmt.Fprintf(&b, "\n%s = {}\n", mod)
		}
		b.WriteString("\n")
		if _, isFunc := ParseSignature(d.Type); isFunc {
			writeFunction(&b, d, d.Name)
			continue
		}
		writeComment(&b, d.Text)
		fmt.Fprintf(&b, "---@type %s\n%s = nil\n", d.Type, d.Name)
	}
	return b.String()
}

// writeFunction writes the annotations and the stub of a documented function.
func writeFunction(b *strings.Builder, d Doc, name string) {
	writeComment(b, "```lua\n"+d.Syntax+"\n```\n"+d.Text)
	sig, _ := ParseSignature(d.Type)
	var params []string
	for _, p := range sig.Params {
		opt := ""
		if p.Optional {
			opt = "?"
		}
		fmt.Fprintf(b, "---@param %s%s %s\n", p.Name, opt, p.Type)
		params = append(params, p.Name)
	}
	for _, r := range sig.Returns {
		fmt.Fprintf(b, "---@return %s\n", r)
	}
	for _, o := range d.Overloads {
		fmt.Fprintf(b, "---@overload %s\n", o)
	}
	fmt.Fprintf(b, "function %s(%s) end\n", name, strings.Join(params, ", "))
}

func writeComment(b *strings.Builder, text string) {
	if text == "" {
		return
	}
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if line == "" {
			b.WriteString("---\n")
			continue
		}
		b.WriteString("---" + line + "\n")
	}
}

func oneLineDoc(s string) string { return strings.Join(strings.Fields(s), " ") }

// luaFieldName quotes field names that are Lua keywords (["end"]).
func luaFieldName(name string) string {
	if luaKeywords[name] {
		return fmt.Sprintf("[%q]", name)
	}
	return name
}

var luaKeywords = map[string]bool{"and": true, "break": true, "do": true, "else": true, "elseif": true, "end": true,
	"false": true, "for": true, "function": true, "if": true, "in": true, "local": true, "nil": true, "not": true,
	"or": true, "repeat": true, "return": true, "then": true, "true": true, "until": true, "while": true}

// OptionClass returns, for a documented function ("cache.open",
// "cache:put"), the 1-based position of each argument that takes an option
// table and that table's class, as its Type says.
func OptionClass(name string) map[int]string {
	var out map[int]string
	for _, d := range Docs() {
		if d.Name != name {
			continue
		}
		sigs := append([]string{d.Type}, d.Overloads...)
		for _, t := range sigs {
			sig, ok := ParseSignature(t)
			if !ok {
				continue
			}
			for i, p := range sig.Params {
				if fields, ok := ClassFields(p.Type); ok && len(fields) > 0 && isOptionClass(p.Type) {
					if out == nil {
						out = map[int]string{}
					}
					if _, taken := out[i+1]; !taken {
						out[i+1] = p.Type
					}
				}
			}
		}
	}
	return out
}

// isOptionClass reports whether a class is an option table: its name ends
// in Options (a dependency's table, kafka's sasl and tls too).
func isOptionClass(name string) bool {
	return strings.HasSuffix(name, "Options") || name == "checkpoint.Dependency" ||
		name == "kafka.SASL" || name == "kafka.TLS" || name == "window.Aggregator"
}

// sortedFieldNames returns the names of fields, sorted.
func sortedFieldNames(fields []Field) []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	sort.Strings(names)
	return names
}
