package lua

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// API describes the Lua API to Lint: what `streamctl check` knows of the
// module tables, the objects calls return and the option tables functions
// take. Package bindings builds it from the reference (bindings.CheckAPI),
// the same data `streamctl docs` and `streamctl types` print.
type API struct {
	// Modules maps the global name of a module table ("json", "string")
	// to the names it holds.
	Modules map[string][]string
	// Methods maps an object class ("streamctl.cache") to its methods.
	Methods map[string][]string
	// Returns maps a function ("cache.open", "streamctl.cache:updates") to
	// the class of the object it returns, for the classes with methods.
	Returns map[string]string
	// Options maps a function ("cache.open", "streamctl.cache:put") to its
	// option tables by argument position (from 1, self not counted).
	Options map[string]map[int]*OptionSet
	// ClassNames names classes in messages ("streamctl.cache" -> "cache").
	ClassNames map[string]string
}

// OptionSet is the options an option table accepts, and the option tables
// some of them hold (kafka.topic's sasl; checkpoint.new's dependencies, a
// list of tables).
type OptionSet struct {
	Names  []string
	Nested map[string]*OptionSet
	// ListOf marks options whose value is a list of option tables.
	ListOf map[string]bool
}

// Lint parses a script and reports, one "file:line: message" each, sorted
// by line: members of the API's module tables that do not exist
// (json.encod), methods that objects of a known class lack (c:icnr after
// local c = cache.open(...)), option tables written in the call with an
// option the function does not take, and globals the script assigns but
// never reads (cuont = count + 1, a typo of the name it reads). Each names
// the closest known name when one is near.
func Lint(src []byte, name string, api API) ([]string, error) {
	chunk, err := parse.Parse(bytes.NewReader(src), name)
	if err != nil {
		return nil, err
	}
	l := &linter{name: name, api: api}
	l.block(chunk, newScope(nil))
	l.unreadGlobals(chunk)
	sort.SliceStable(l.problems, func(i, j int) bool { return l.problems[i].line < l.problems[j].line })
	out := make([]string, len(l.problems))
	for i, p := range l.problems {
		out[i] = fmt.Sprintf("%s:%d: %s", name, p.line, p.msg)
	}
	return out, nil
}

type problem struct {
	line int
	msg  string
}

type linter struct {
	name     string
	api      API
	problems []problem
	// globals assigned (first line) and read, for unreadGlobals.
	written map[string]int
	read    map[string]bool
	// names are the names the script reads, locals too: the suggestions
	// for a global never read.
	names map[string]bool
	// globalClass is the class of globals assigned an object (c =
	// cache.open(...) without local).
	globalClass map[string]string
}

func (l *linter) report(line int, format string, args ...any) {
	l.problems = append(l.problems, problem{line, fmt.Sprintf(format, args...)})
}

// scope holds the locals visible in a block: name -> class ("" unknown).
type scope struct {
	parent *scope
	vars   map[string]string
}

func newScope(parent *scope) *scope { return &scope{parent: parent, vars: map[string]string{}} }

func (s *scope) lookup(name string) (class string, local bool) {
	for ; s != nil; s = s.parent {
		if c, ok := s.vars[name]; ok {
			return c, true
		}
	}
	return "", false
}

func (l *linter) block(stmts []ast.Stmt, sc *scope) {
	for _, st := range stmts {
		l.stmt(st, sc)
	}
}

func (l *linter) stmt(st ast.Stmt, sc *scope) {
	switch s := st.(type) {
	case *ast.LocalAssignStmt:
		for _, e := range s.Exprs {
			l.expr(e, sc)
		}
		for i, n := range s.Names {
			class := ""
			if i < len(s.Exprs) {
				class = l.classOf(s.Exprs[i], sc)
			}
			sc.vars[n] = class
		}
	case *ast.AssignStmt:
		for _, e := range s.Rhs {
			l.expr(e, sc)
		}
		for i, lhs := range s.Lhs {
			if id, ok := lhs.(*ast.IdentExpr); ok {
				if _, local := sc.lookup(id.Value); !local {
					l.global(id.Value, lhs.Line(), true)
					if i < len(s.Rhs) {
						l.setGlobalClass(id.Value, l.classOf(s.Rhs[i], sc))
					}
				}
				continue
			}
			l.lhs(lhs, sc)
		}
	case *ast.FuncCallStmt:
		l.expr(s.Expr, sc)
	case *ast.DoBlockStmt:
		l.block(s.Stmts, newScope(sc))
	case *ast.WhileStmt:
		l.expr(s.Condition, sc)
		l.block(s.Stmts, newScope(sc))
	case *ast.RepeatStmt:
		inner := newScope(sc)
		l.block(s.Stmts, inner)
		l.expr(s.Condition, inner)
	case *ast.IfStmt:
		l.expr(s.Condition, sc)
		l.block(s.Then, newScope(sc))
		l.block(s.Else, newScope(sc))
	case *ast.NumberForStmt:
		l.expr(s.Init, sc)
		l.expr(s.Limit, sc)
		if s.Step != nil {
			l.expr(s.Step, sc)
		}
		inner := newScope(sc)
		inner.vars[s.Name] = ""
		l.block(s.Stmts, inner)
	case *ast.GenericForStmt:
		for _, e := range s.Exprs {
			l.expr(e, sc)
		}
		inner := newScope(sc)
		for _, n := range s.Names {
			inner.vars[n] = ""
		}
		l.block(s.Stmts, inner)
	case *ast.FuncDefStmt:
		// function f() / function t.f() / function t:m() / local function f()
		if id, ok := s.Name.Func.(*ast.IdentExpr); ok && s.Name.Receiver == nil {
			if _, local := sc.lookup(id.Value); !local {
				l.global(id.Value, st.Line(), true)
			}
		} else if s.Name.Receiver != nil {
			l.expr(s.Name.Receiver, sc)
		} else {
			l.lhs(s.Name.Func, sc)
		}
		l.function(s.Func, sc, s.Name.Method != "")
	case *ast.ReturnStmt:
		for _, e := range s.Exprs {
			l.expr(e, sc)
		}
	}
}

// lhs walks an assignment target other than a name: t.k = v reads t.
func (l *linter) lhs(e ast.Expr, sc *scope) {
	if a, ok := e.(*ast.AttrGetExpr); ok {
		l.expr(a.Object, sc)
		l.expr(a.Key, sc)
		return
	}
	l.expr(e, sc)
}

func (l *linter) function(f *ast.FunctionExpr, sc *scope, method bool) {
	inner := newScope(sc)
	if method {
		inner.vars["self"] = ""
	}
	for _, p := range f.ParList.Names {
		inner.vars[p] = ""
	}
	l.block(f.Stmts, inner)
}

func (l *linter) expr(e ast.Expr, sc *scope) {
	switch x := e.(type) {
	case nil:
	case *ast.IdentExpr:
		if l.names == nil {
			l.names = map[string]bool{}
		}
		l.names[x.Value] = true
		if _, local := sc.lookup(x.Value); !local {
			l.global(x.Value, x.Line(), false)
		}
	case *ast.AttrGetExpr:
		l.expr(x.Object, sc)
		l.expr(x.Key, sc)
		l.member(x, sc)
	case *ast.TableExpr:
		for _, f := range x.Fields {
			l.expr(f.Key, sc)
			l.expr(f.Value, sc)
		}
	case *ast.FuncCallExpr:
		l.call(x, sc)
	case *ast.LogicalOpExpr:
		l.expr(x.Lhs, sc)
		l.expr(x.Rhs, sc)
	case *ast.RelationalOpExpr:
		l.expr(x.Lhs, sc)
		l.expr(x.Rhs, sc)
	case *ast.StringConcatOpExpr:
		l.expr(x.Lhs, sc)
		l.expr(x.Rhs, sc)
	case *ast.ArithmeticOpExpr:
		l.expr(x.Lhs, sc)
		l.expr(x.Rhs, sc)
	case *ast.UnaryMinusOpExpr:
		l.expr(x.Expr, sc)
	case *ast.UnaryNotOpExpr:
		l.expr(x.Expr, sc)
	case *ast.UnaryLenOpExpr:
		l.expr(x.Expr, sc)
	case *ast.FunctionExpr:
		l.function(x, sc, false)
	}
}

// moduleOf returns the module table e names (a global not shadowed by a
// local), or "".
func (l *linter) moduleOf(e ast.Expr, sc *scope) string {
	id, ok := e.(*ast.IdentExpr)
	if !ok {
		return ""
	}
	if _, local := sc.lookup(id.Value); local {
		return ""
	}
	if _, ok := l.api.Modules[id.Value]; ok {
		return id.Value
	}
	return ""
}

// member checks mod.name against the module's names.
func (l *linter) member(x *ast.AttrGetExpr, sc *scope) {
	mod := l.moduleOf(x.Object, sc)
	key, ok := x.Key.(*ast.StringExpr)
	if mod == "" || !ok {
		return
	}
	names := l.api.Modules[mod]
	for _, n := range names {
		if n == key.Value {
			return
		}
	}
	msg := fmt.Sprintf("%s.%s is not part of the %s module", mod, key.Value, mod)
	if guess := closestOf(key.Value, names); guess != "" {
		msg += fmt.Sprintf(" (did you mean %s.%s?)", mod, guess)
	}
	l.report(x.Line(), "%s", msg)
}

// funcName returns the API name of the function a call calls: "handle",
// "cache.open", or, for a method of an object of a known class,
// "streamctl.cache:put"; "" when it is none the API knows.
func (l *linter) funcName(c *ast.FuncCallExpr, sc *scope) string {
	if c.Receiver != nil {
		if class := l.classOf(c.Receiver, sc); class != "" {
			return class + ":" + c.Method
		}
		return ""
	}
	switch f := c.Func.(type) {
	case *ast.IdentExpr:
		if _, local := sc.lookup(f.Value); !local {
			return f.Value
		}
	case *ast.AttrGetExpr:
		if mod := l.moduleOf(f.Object, sc); mod != "" {
			if k, ok := f.Key.(*ast.StringExpr); ok {
				return mod + "." + k.Value
			}
		}
	}
	return ""
}

func (l *linter) call(c *ast.FuncCallExpr, sc *scope) {
	if c.Receiver != nil {
		l.expr(c.Receiver, sc)
		if class := l.classOf(c.Receiver, sc); class != "" {
			l.method(c, class)
		}
	} else {
		l.expr(c.Func, sc)
	}
	for _, a := range c.Args {
		l.expr(a, sc)
	}
	name := l.funcName(c, sc)
	for pos, set := range l.api.Options[name] {
		if pos <= len(c.Args) {
			if t, ok := c.Args[pos-1].(*ast.TableExpr); ok {
				l.options(l.display(name), t, set)
			}
		}
	}
}

// display is a function's name in messages: "cache:put" for
// "streamctl.cache:put".
func (l *linter) display(name string) string {
	if class, method, ok := strings.Cut(name, ":"); ok {
		if n, ok := l.api.ClassNames[class]; ok {
			return n + ":" + method
		}
	}
	return name
}

// method checks that class has the method c calls.
func (l *linter) method(c *ast.FuncCallExpr, class string) {
	methods := l.api.Methods[class]
	for _, m := range methods {
		if m == c.Method {
			return
		}
	}
	what := l.api.ClassNames[class]
	recv := what
	if id, ok := c.Receiver.(*ast.IdentExpr); ok {
		recv = id.Value
	}
	msg := fmt.Sprintf("%s:%s: %s has no method %q", recv, c.Method, article(what), c.Method)
	if guess := closestOf(c.Method, methods); guess != "" {
		msg += fmt.Sprintf(" (did you mean %s:%s?)", recv, guess)
	}
	l.report(c.Line(), "%s", msg)
}

func article(noun string) string {
	if noun != "" && strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

// options checks the keys written in an option table.
func (l *linter) options(fn string, t *ast.TableExpr, set *OptionSet) {
	for _, f := range t.Fields {
		k, ok := f.Key.(*ast.StringExpr)
		if !ok {
			continue // positional entries, computed keys
		}
		known := false
		for _, n := range set.Names {
			known = known || n == k.Value
		}
		if !known {
			line := t.Line()
			if f.Value != nil {
				line = f.Value.Line()
			}
			msg := fmt.Sprintf("%s: unknown option %q", fn, k.Value)
			if guess := closestOf(k.Value, set.Names); guess != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", guess)
			}
			l.report(line, "%s", msg)
			continue
		}
		nested := set.Nested[k.Value]
		v, isTable := f.Value.(*ast.TableExpr)
		if nested == nil || !isTable {
			continue
		}
		if set.ListOf[k.Value] {
			for _, item := range v.Fields {
				if it, ok := item.Value.(*ast.TableExpr); ok && item.Key == nil {
					l.options(fn+": "+k.Value, it, nested)
				}
			}
			continue
		}
		l.options(fn+": "+k.Value, v, nested)
	}
}

// classOf returns the class of the object e evaluates to, when known: a
// call of a function that returns objects, or a variable assigned one.
func (l *linter) classOf(e ast.Expr, sc *scope) string {
	switch x := e.(type) {
	case *ast.IdentExpr:
		if c, local := sc.lookup(x.Value); local {
			return c
		}
		return l.globalClass[x.Value]
	case *ast.FuncCallExpr:
		return l.api.Returns[l.funcName(x, sc)]
	}
	return ""
}

func (l *linter) setGlobalClass(name, class string) {
	if l.globalClass == nil {
		l.globalClass = map[string]string{}
	}
	if prev, ok := l.globalClass[name]; ok && prev != class {
		class = "" // assigned objects of different classes: unknown
	}
	l.globalClass[name] = class
}

func (l *linter) global(name string, line int, write bool) {
	if l.written == nil {
		l.written, l.read = map[string]int{}, map[string]bool{}
	}
	if !write {
		l.read[name] = true
		return
	}
	if _, ok := l.written[name]; !ok {
		l.written[name] = line
	}
}

// unreadGlobals reports globals assigned but never read anywhere in the
// script: a typo of the name it meant (cuont = count + 1), or dead code.
// Names of the API (a replaced print) are left alone.
func (l *linter) unreadGlobals(chunk []ast.Stmt) {
	var names []string
	for n := range l.written {
		if !l.read[n] && !l.api.isAPI(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var readNames []string
	for n := range l.names {
		readNames = append(readNames, n)
	}
	sort.Strings(readNames)
	for _, n := range names {
		msg := fmt.Sprintf("global %q is assigned but never read", n)
		if guess := closestOf(n, readNames); guess != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", guess)
		} else {
			msg += " (make it local, or remove it)"
		}
		l.report(l.written[n], "%s", msg)
	}
}

// isAPI reports whether a global name belongs to the API's modules.
func (a API) isAPI(name string) bool {
	_, ok := a.Modules[name]
	return ok
}

// closestOf returns the name of names within edit distance 2 of name (1
// for short names), if any.
func closestOf(name string, names []string) string {
	set := make(map[string]bool, len(names))
	for _, n := range names {
		if n != name {
			set[n] = true
		}
	}
	guess := closest(name, set)
	if guess != "" && len(name) <= 3 && editDistance(name, guess) > 1 {
		return ""
	}
	return guess
}
