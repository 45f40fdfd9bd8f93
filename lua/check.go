package lua

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/exitcode"
)

// Check compiles a script without running it and checks that every global
// it reads exists: one of the API (the given modules and Lua's standard
// library) or assigned somewhere in it. A global that is never assigned is
// always nil, almost always a typo ("hadnle"). Then Lint checks what api
// knows: members of module tables, methods of objects, option names, and
// globals assigned but never read. A compile error is an *exitcode.Error
// with code 2; problems found are one with code 1, a CheckError listing
// them, one "file:line: message" each, in line order.
func Check(src []byte, name string, mods []Module, api API) error {
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
	var found []problem
	seen := map[string]bool{}
	for _, r := range reads {
		if known[r.Name] || seen[r.Name] {
			continue
		}
		seen[r.Name] = true
		msg := fmt.Sprintf("unknown global %q: it is never assigned and is not part of the API", r.Name)
		if guess := closest(r.Name, known); guess != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", guess)
		}
		found = append(found, problem{r.Line, msg})
	}
	lint, err := Lint(src, name, api)
	if err != nil {
		return CompileError(err, 0)
	}
	var problems []string
	for _, p := range found {
		problems = append(problems, fmt.Sprintf("%s:%d: %s", name, p.line, p.msg))
	}
	problems = append(problems, lint...)
	if len(problems) == 0 {
		return nil
	}
	sort.SliceStable(problems, func(i, j int) bool {
		return lineOf(problems[i], name) < lineOf(problems[j], name)
	})
	return &exitcode.Error{Code: exitcode.Runtime, Err: CheckError(problems)}
}

// lineOf returns the line of a "name:line: message".
func lineOf(p, name string) int {
	rest := strings.TrimPrefix(p, name+":")
	n, _ := strconv.Atoi(rest[:max(0, strings.Index(rest, ":"))])
	return n
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

// editDistance is the optimal string alignment distance of a and b: the
// Levenshtein distance with a swap of two neighbours counting one, the
// commonest typo ("icnr").
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
