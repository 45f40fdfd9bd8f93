package lua

import (
	"fmt"
	"sort"
	"strings"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/exitcode"
)

// Check compiles a script without running it and checks that every global
// it reads exists: one of the API (the given modules and Lua's standard
// library) or assigned somewhere in the script. A global that is never
// assigned is always nil, almost always a typo ("hadnle"). Errors are an
// *exitcode.Error with code 2, one "file:line: message" per line.
func Check(src []byte, name string, mods []Module) error {
	s, err := NewStandaloneState(mods)
	if err != nil {
		return err
	}
	defer s.Close()
	fn, err := s.Load(src, name)
	if err != nil {
		return err
	}
	proto := fn.Proto
	known := map[string]bool{}
	ForEachOrdered(s.L.G.Global, func(k, _ glua.LValue) {
		if ks, ok := k.(glua.LString); ok {
			known[string(ks)] = true
		}
	})
	var reads []GlobalRef
	VisitGlobals(proto, func(r GlobalRef) {
		if r.Write {
			known[r.Name] = true
		} else {
			reads = append(reads, r)
		}
	})
	var problems []string
	seen := map[string]bool{}
	for _, r := range reads {
		if known[r.Name] || seen[r.Name] {
			continue
		}
		seen[r.Name] = true
		msg := fmt.Sprintf("%s:%d: unknown global %q: it is never assigned and is not part of the API", name, r.Line, r.Name)
		if guess := closest(r.Name, known); guess != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", guess)
		}
		problems = append(problems, msg)
	}
	if len(problems) == 0 {
		return nil
	}
	return &exitcode.Error{Code: exitcode.Usage, Err: CheckError(problems)}
}

// CheckError lists the problems Check found, one "file:line: message" each.
type CheckError []string

func (e CheckError) Error() string { return strings.Join(e, "; ") }

// Lines returns one line per problem, for the CLI.
func (e CheckError) Lines() []string { return e }

// closest returns the known name within edit distance 2 of name, if any.
func closest(name string, known map[string]bool) string {
	best, bestD := "", 3
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if d := editDistance(name, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
