package bindings

import (
	"fmt"
	"strings"
)

// The Lua API reference as data (style.md section 3): each module's entries
// sit beside its binding (core_doc.go beside core.go, ...), the concept pages
// in concepts_doc.go; this file renders them. `streamctl docs` prints the
// reference and docs/reference.md is generated from it; docs_test.go fails
// when a Lua function lacks an entry, an entry names nothing, an example
// fails to run, or docs/reference.md is stale. Regenerate that file with:
//
//	go generate ./bindings
//
//go:generate go test -run ^TestReferenceUpToDate$ -update .

// Doc documents one Lua function or value, in the format of lua-nginx-module's
// README: a syntax line with results left of `=` and optional arguments in
// brackets, the contexts it may be used in, a text whose first sentence says
// whether the call waits and which names what it raises, a runnable example
// and related names.
type Doc struct {
	// Module is the lua.Module that installs the name ("core", "json").
	Module string
	// Name is the Lua name: "handle", "json.encode", "cache:incr".
	Name string
	// Syntax is the call as code: `text = json.encode(value)`.
	Syntax string
	// Type is the entry's type for editors and `streamctl check`, in
	// lua-language-server's notation (types.go): a function's signature
	// "fun(name: string, opts?: cache.OpenOptions): streamctl.cache"
	// (methods without self), or a value's type ("streamctl.null").
	Type string
	// Overloads are the function's other signatures, for optional
	// arguments in the middle (handle's opts).
	Overloads []string
	// Context lists where the call is allowed: top level, handler, hook,
	// pipe (streamctl pipe expressions) and worker (worker states).
	Context string
	// Text is Markdown.
	Text string
	// Example is a complete Lua script that runs and ends on its own, with
	// an empty stdin, in a fresh directory.
	Example string
	// SeeAlso names related entries.
	SeeAlso []string
}

// Concept is a page of prose shown before the reference, like the nginx
// README's "Data Sharing within an Nginx Worker".
type Concept struct {
	Title string
	// Text is Markdown, without the title.
	Text string
}

// ModuleDoc introduces the entries of one module.
type ModuleDoc struct {
	Name    string
	Summary string
	// Also names entries of other modules that belong here too (file{} is
	// a source and a sink); `streamctl docs MODULE` prints them in full.
	Also []string
}

// moduleRef is one module's reference: its introduction and its entries, in
// reference order.
type moduleRef struct {
	ModuleDoc
	Entries []Doc
	// Classes are the types the module's entries name: the option tables
	// (cache.OpenOptions), objects and records (http.Response).
	Classes []Class
}

// reference lists the modules' references in the order of docs/reference.md.
var reference = []moduleRef{
	coreReference, sourcesReference, sinksReference, codecReference, jsonReference, timeReference, logReference,
	pipeReference, cacheReference, kafkaReference, stateReference, httpReference, windowReference, checkpointReference,
	testReference,
}

// TestModule is the name of the reference's module of test files (test,
// record): its entries exist in `streamctl test`'s test files, not in
// scripts.
const TestModule = "test"

// bq stands for a backtick in the doc texts (MODULE_doc.go, concepts_doc.go):
// Go raw strings cannot hold one.
const bq = "´"

func md(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), bq, "`") }

// DocModules returns the documented modules in reference order.
func DocModules() []ModuleDoc {
	out := make([]ModuleDoc, len(reference))
	for i, r := range reference {
		out[i] = r.ModuleDoc
	}
	return out
}

// Concepts returns the concept pages, in order.
func Concepts() []Concept {
	out := make([]Concept, len(concepts))
	for i, c := range concepts {
		out[i] = Concept{Title: c.Title, Text: md(c.Text)}
	}
	return out
}

// Docs returns the reference entries, in reference order.
func Docs() []Doc {
	var out []Doc
	for _, r := range reference {
		for _, d := range r.Entries {
			d.Syntax = strings.TrimSpace(d.Syntax)
			d.Text = md(d.Text)
			d.Example = strings.TrimSpace(d.Example)
			out = append(out, d)
		}
	}
	return out
}

// Markdown renders the entry.
func (d Doc) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", d.Name)
	fmt.Fprintf(&b, "**syntax:** `%s`\n\n", d.Syntax)
	fmt.Fprintf(&b, "**context:** %s\n\n", d.Context)
	b.WriteString(d.Text)
	b.WriteString("\n\n```lua\n")
	b.WriteString(d.Example)
	b.WriteString("\n```\n")
	if len(d.SeeAlso) > 0 {
		b.WriteString("\nSee also: ")
		for i, s := range d.SeeAlso {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "`%s`", s)
		}
		b.WriteString(".\n")
	}
	return b.String()
}

// moduleMarkdown renders one module; with also, the entries of m.Also too.
func moduleMarkdown(m ModuleDoc, also bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n%s\n", m.Name, md(m.Summary))
	all := Docs()
	for _, d := range all {
		if d.Module == m.Name {
			b.WriteString("\n")
			b.WriteString(d.Markdown())
		}
	}
	if also {
		for _, name := range m.Also {
			for _, d := range all {
				if d.Name == name {
					b.WriteString("\n")
					b.WriteString(d.Markdown())
				}
			}
		}
	}
	return b.String()
}

// IndexMarkdown renders what `streamctl docs` prints without an argument:
// the concept pages, then an index of the modules and their entries.
func IndexMarkdown() string {
	var b strings.Builder
	b.WriteString("# streamctl Lua API\n")
	for _, c := range Concepts() {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", c.Title, c.Text)
	}
	b.WriteString("\n## Modules\n\n")
	b.WriteString("`streamctl docs MODULE` prints a module's reference and `streamctl docs NAME` one entry (`streamctl docs json.encode`); docs/reference.md holds all of it.\n\n")
	all := Docs()
	for _, m := range DocModules() {
		var names []string
		for _, d := range all {
			if d.Module == m.Name {
				names = append(names, d.Name)
			}
		}
		names = append(names, m.Also...)
		fmt.Fprintf(&b, "- `%s`: %s\n", m.Name, strings.Join(names, ", "))
	}
	return b.String()
}

// referenceMarkdown renders the whole reference: concept pages, then every
// module's entries. It is the content of docs/reference.md.
func referenceMarkdown() string {
	var b strings.Builder
	b.WriteString("# streamctl Lua API reference\n\n")
	b.WriteString("<!-- Generated from bindings/docs.go by `go generate ./bindings`; do not edit. -->\n\n")
	b.WriteString("The same text is built into the binary: `streamctl docs` prints the concept pages and an index, `streamctl docs MODULE` a module.\n\n")
	b.WriteString("Contents: ")
	var toc []string
	for _, c := range Concepts() {
		toc = append(toc, fmt.Sprintf("[%s](#%s)", c.Title, anchor(c.Title)))
	}
	for _, m := range DocModules() {
		toc = append(toc, fmt.Sprintf("[%s](#%s)", m.Name, anchor(m.Name)))
	}
	b.WriteString(strings.Join(toc, " · "))
	b.WriteString("\n")
	for _, c := range Concepts() {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", c.Title, c.Text)
	}
	for _, m := range DocModules() {
		b.WriteString("\n")
		b.WriteString(moduleMarkdown(m, false))
	}
	return b.String()
}

// anchor approximates GitHub's heading anchors.
func anchor(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// DocMarkdown returns what `streamctl docs TOPIC` prints: a module's entries
// ("json", "sources"), or one entry ("handle", "json.encode"). A method may
// be written with "." as well as ":" ("cache.get" is "cache:get"), and a
// module function with ":". An unknown topic is an error listing the
// modules.
func DocMarkdown(topic string) (string, error) {
	for _, m := range DocModules() {
		if m.Name == topic {
			return moduleMarkdown(m, true), nil
		}
	}
	other := topic
	if i := strings.LastIndexAny(topic, ".:"); i > 0 {
		sep := map[byte]string{'.': ":", ':': "."}[topic[i]]
		other = topic[:i] + sep + topic[i+1:]
	}
	for _, name := range []string{topic, other} {
		for _, d := range Docs() {
			if d.Name == name {
				return d.Markdown(), nil
			}
		}
	}
	var names []string
	for _, m := range DocModules() {
		names = append(names, m.Name)
	}
	return "", fmt.Errorf("no module or function %q (modules: %s; or a function name such as handle or json.encode)", topic, strings.Join(names, ", "))
}
