package bindings

import (
	"sort"
	"strings"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/lua"
)

// luaLibraries are the tables of Lua's own library that `streamctl check`
// knows the members of, besides the API's modules.
var luaLibraries = []string{"string", "table", "math", "os", "io", "coroutine"}

// CheckAPI describes the API for `streamctl check` (lua.Lint) from the
// reference: the module tables and their members (as a state opened with
// Modules holds them, so also Lua's string, table, math, os, io and
// coroutine), the methods of each object class, the functions that return
// objects, and the option tables of each function with their options.
func CheckAPI() lua.API {
	api := lua.API{
		Modules:    map[string][]string{},
		Methods:    map[string][]string{},
		Returns:    map[string]string{},
		Options:    map[string]map[int]*lua.OptionSet{},
		ClassNames: map[string]string{},
	}
	tables := map[string]bool{}
	for _, l := range luaLibraries {
		tables[l] = true
	}
	for _, d := range Docs() {
		if mod, _, ok := strings.Cut(d.Name, "."); ok {
			tables[mod] = true
		}
	}
	if s, err := lua.NewStandaloneState(Modules(Deps{})); err == nil {
		for mod := range tables {
			t, ok := s.L.GetGlobal(mod).(*glua.LTable)
			if !ok {
				continue
			}
			var names []string
			t.ForEach(func(k, _ glua.LValue) {
				if ks, ok := k.(glua.LString); ok {
					names = append(names, string(ks))
				}
			})
			sort.Strings(names)
			api.Modules[mod] = names
		}
		s.Close()
	}
	for _, d := range Docs() {
		name := d.Name
		if prefix, method, ok := strings.Cut(d.Name, ":"); ok {
			class := ObjectClass(prefix)
			api.Methods[class] = append(api.Methods[class], method)
			api.ClassNames[class] = prefix
			name = class + ":" + method
		}
		if sig, ok := ParseSignature(d.Type); ok && len(sig.Returns) > 0 {
			if strings.HasPrefix(sig.Returns[0], "streamctl.") {
				api.Returns[name] = sig.Returns[0]
			}
		}
		for pos, class := range OptionClass(d.Name) {
			if api.Options[name] == nil {
				api.Options[name] = map[int]*lua.OptionSet{}
			}
			api.Options[name][pos] = optionSet(class, 0)
		}
	}
	return api
}

// optionSet returns the options of an option class, with the option
// tables its fields take (kafka.TopicOptions' sasl).
func optionSet(class string, depth int) *lua.OptionSet {
	fields, _ := ClassFields(class)
	set := &lua.OptionSet{Names: sortedFieldNames(fields)}
	if depth > 3 {
		return set
	}
	for _, f := range fields {
		for _, alt := range strings.Split(f.Type, "|") {
			alt = strings.TrimSpace(alt)
			list := strings.HasSuffix(alt, "[]")
			alt = strings.TrimSuffix(alt, "[]")
			if !isOptionClass(alt) {
				continue
			}
			if set.Nested == nil {
				set.Nested, set.ListOf = map[string]*lua.OptionSet{}, map[string]bool{}
			}
			set.Nested[f.Name] = optionSet(alt, depth+1)
			set.ListOf[f.Name] = list
		}
	}
	return set
}
