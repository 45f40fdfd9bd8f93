package bindings

import "sort"

// ReferenceMarkdown is the content of docs/reference.md, for the test that
// writes and checks it (go generate ./bindings).
func ReferenceMarkdown() string { return referenceMarkdown() }

// DocNames returns the names of every entry, sorted.
func DocNames() []string {
	var names []string
	for _, d := range Docs() {
		names = append(names, d.Name)
	}
	sort.Strings(names)
	return names
}
