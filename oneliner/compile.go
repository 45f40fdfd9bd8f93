package oneliner

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	glua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"

	"github.com/streamctl/streamctl/lua"
)

// pipePrograms is the compiled code of a pipe, shared read-only by every
// worker state (gopher-lua function prototypes can be instantiated in any
// number of states).
type pipePrograms struct {
	// expr returns the per-record function when called once.
	expr *glua.FunctionProto
	// fast is expr without nil-safe comparisons, or nil. It is set for an
	// expression that calls no function (so has no effect but its result)
	// and compares: the workers run it first and, when it raises a
	// comparison error, run expr for that record (pipeWorker.process).
	fast *glua.FunctionProto
	// begin and end are plain chunks, nil when not given.
	begin, end *glua.FunctionProto
	// names are the global names the code reads, sorted, without "_".
	names []string
	// needRecord: the code reads `_`, so each record is converted whole.
	needRecord bool
	// needAll: the code can reach its environment (_G, getfenv, load...),
	// so every field of a record is bound, not only names.
	needAll bool
	// fieldKeys[i] is the record field names[i] reads: the name itself, or
	// "x" for the hidden global "_.x".
	fieldKeys []string
	// tableKeys are the keys of the table the expression returns, whose
	// values it returns instead (rewriteTableResult); nil if not rewritten.
	tableKeys []string
	// reuseRecord: the code keeps no reference to `_`, so a worker refills
	// one table for it (record.go); recordWrites are the constant keys the
	// code assigns in it.
	reuseRecord  bool
	recordWrites []string
	// plan is what a worker needs to pass fields as parameters (params.go).
	plan *paramPlan
}

// escapeNames are globals through which code can read its environment by
// computed names, which the bytecode scan cannot bound.
var escapeNames = map[string]bool{
	"_G": true, "getfenv": true, "setfenv": true, "load": true, "loadstring": true,
	"dofile": true, "require": true, "module": true, "loadfile": true, "debug": true,
}

// compilePipe compiles the per-record code (an expression if it is one,
// else a chunk) and the begin and end chunks, and scans them for globals.
//
// Two rewrites of the syntax tree keep records out of Lua tables, whose
// string keys cost Go map operations in gopher-lua:
//   - `_.name` (a read of a field of the global `_`) becomes a read of the
//     hidden global "_.name", bound per record like a field global, when no
//     local is called `_` and the code cannot reach its environment;
//   - an expression that is a table constructor with only string keys,
//     `{user = user, kb = bytes // 1024}`, returns its values instead and
//     the pipe writes them as the JSON object the table would have been.
func compilePipe(expr, begin, end string) (pipePrograms, error) {
	var pp pipePrograms
	// Both wrappers keep the user's code on line 1, so positions match.
	exprAST, err := parseChunk("return function() return "+expr+"\nend", "expr")
	isExpr := err == nil
	if err != nil {
		var chunkErr error
		exprAST, chunkErr = parseChunk("return function() "+expr+"\nend", "expr")
		if chunkErr != nil {
			// Report the error of the form the code most looks like (a
			// statement keyword or an assignment means a chunk), parsed
			// without the wrapper so that the message shows only user code.
			report := err
			if looksLikeChunk(expr) {
				report = chunkErr
				if _, e := parseChunk(expr, "expr"); e != nil {
					report = e
				}
			} else if _, e := parseChunk("return "+expr, "expr"); e != nil {
				report = e
			}
			return pp, lua.CompileError(report, strings.Count(expr, "\n")+1)
		}
	}
	var beginAST, endAST []ast.Stmt
	if begin != "" {
		if beginAST, err = parseChunk(begin, "begin"); err != nil {
			return pp, lua.CompileError(err, strings.Count(begin, "\n")+1)
		}
	}
	if end != "" {
		if endAST, err = parseChunk(end, "end"); err != nil {
			return pp, lua.CompileError(err, strings.Count(end, "\n")+1)
		}
	}
	asts := []any{exprAST, beginAST, endAST}
	exprUses, beginUses, endUses := scanRecordUses(exprAST), scanRecordUses(beginAST), scanRecordUses(endAST)
	scopeOK := canRewriteRecordFields(asts)
	// A field read from a hidden global would miss a later change of the
	// field: rewrite only code that never changes one.
	fieldsRewritten := scopeOK && exprUses.onlyReads() && beginUses.onlyReads() && endUses.onlyReads()
	pp.reuseRecord = scopeOK && !exprUses.other && !exprUses.computedWrite && !beginUses.any() && !endUses.any()
	pp.recordWrites = exprUses.writes
	if fieldsRewritten {
		for _, a := range asts {
			rewriteRecordFields(reflect.ValueOf(a))
		}
	}
	pp.plan = &paramPlan{expr: expr, isExpr: isExpr, fieldsRewritten: fieldsRewritten,
		definesFunc: definesFunction(exprAST), blocked: map[string]bool{}}
	if isExpr {
		pp.tableKeys = rewriteTableResult(exprAST)
	}
	if isExpr && callsNothing(exprAST) {
		// The same expression without nil-safe comparisons (see
		// pipePrograms.fast), from a second parse: the rewrites below
		// change the tree in place.
		fastAST, _ := parseChunk("return function() return "+expr+"\nend", "expr")
		if fieldsRewritten {
			rewriteRecordFields(reflect.ValueOf(fastAST))
		}
		rewriteTableResult(fastAST)
		if pp.fast, err = compileAST(fastAST, "expr"); err != nil {
			return pp, lua.CompileError(err, strings.Count(expr, "\n")+1)
		}
	}
	var compares bool
	exprAST, compares = nilSafeComparisons(exprAST)
	if !compares {
		pp.fast = nil // the same code
	}
	beginAST, _ = nilSafeComparisons(beginAST)
	endAST, _ = nilSafeComparisons(endAST)
	if pp.expr, err = compileAST(exprAST, "expr"); err != nil {
		return pp, lua.CompileError(err, strings.Count(expr, "\n")+1)
	}
	if beginAST != nil {
		if pp.begin, err = compileAST(beginAST, "begin"); err != nil {
			return pp, lua.CompileError(err, strings.Count(begin, "\n")+1)
		}
	}
	if endAST != nil {
		if pp.end, err = compileAST(endAST, "end"); err != nil {
			return pp, lua.CompileError(err, strings.Count(end, "\n")+1)
		}
	}
	seen := map[string]bool{}
	for _, p := range []*glua.FunctionProto{pp.expr, pp.begin, pp.end} {
		if p != nil {
			scanGlobals(p, seen)
			lua.VisitGlobals(p, func(r lua.GlobalRef) {
				if r.Write || p != pp.expr {
					pp.plan.blocked[r.Name] = true
				}
			})
		}
	}
	for name := range seen {
		switch {
		case name == "_":
			pp.needRecord = true
		case escapeNames[name]:
			pp.needAll = true
			pp.names = append(pp.names, name)
		default:
			pp.names = append(pp.names, name)
		}
	}
	sort.Strings(pp.names)
	for _, name := range pp.names {
		pp.fieldKeys = append(pp.fieldKeys, fieldKey(name))
	}
	return pp, nil
}

// recordFieldPrefix starts the hidden global that `_.name` is rewritten to;
// it cannot be an identifier.
const recordFieldPrefix = "_."

// fieldKey returns the record field a global name reads.
func fieldKey(name string) string {
	if strings.HasPrefix(name, recordFieldPrefix) {
		return name[len(recordFieldPrefix):]
	}
	return name
}

func parseChunk(src, name string) ([]ast.Stmt, error) {
	return parse.Parse(strings.NewReader(src), name)
}

func compileAST(chunk []ast.Stmt, name string) (p *glua.FunctionProto, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: compile: %v", name, r)
		}
	}()
	return glua.Compile(lua.GuardConcat(chunk), name)
}

var (
	identType     = reflect.TypeOf(ast.IdentExpr{})
	assignType    = reflect.TypeOf(ast.AssignStmt{})
	attrGetPtr    = reflect.TypeOf(&ast.AttrGetExpr{})
	exprInterface = reflect.TypeOf((*ast.Expr)(nil)).Elem()
)

// canRewriteRecordFields reports whether `_.name` may be read from a
// hidden global: no local variable or parameter is called `_` and no
// identifier names a way to the environment (_G, getfenv, load...).
func canRewriteRecordFields(asts []any) bool {
	ok := true
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		if !ok {
			return
		}
		if v.Kind() == reflect.Struct {
			if v.Type() == identType && escapeNames[v.FieldByName("Value").String()] {
				ok = false
				return
			}
			switch v.Type() {
			case reflect.TypeOf(ast.LocalAssignStmt{}), reflect.TypeOf(ast.GenericForStmt{}), reflect.TypeOf(ast.ParList{}):
				for _, n := range v.FieldByName("Names").Interface().([]string) {
					if n == "_" {
						ok = false
					}
				}
			case reflect.TypeOf(ast.NumberForStmt{}):
				if v.FieldByName("Name").String() == "_" {
					ok = false
				}
			}
		}
		lua.EachASTChild(v, walk)
	}
	for _, a := range asts {
		walk(reflect.ValueOf(a))
	}
	return ok
}

// rewriteRecordFields replaces every read `_.name` / `_["name"]` under v
// with the identifier "_.name". Assignment targets stay as they are (their
// inner reads are still rewritten).
func rewriteRecordFields(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			rewriteRecordFields(v.Elem())
		}
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		if v.Type() == exprInterface && v.CanSet() {
			if key, ok := recordFieldRead(v.Elem()); ok {
				v.Set(reflect.ValueOf(ast.Expr(&ast.IdentExpr{Value: recordFieldPrefix + key})))
				return
			}
		}
		rewriteRecordFields(v.Elem())
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			rewriteRecordFields(v.Index(i))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			f := v.Field(i)
			if v.Type() == assignType && v.Type().Field(i).Name == "Lhs" {
				// Targets: rewrite inside, never the target itself.
				for j := 0; j < f.Len(); j++ {
					rewriteRecordFields(f.Index(j).Elem())
				}
				continue
			}
			rewriteRecordFields(f)
		}
	}
}

// recordFieldRead reports whether e is `_.key` with a constant string key.
func recordFieldRead(e reflect.Value) (string, bool) {
	if e.Type() != attrGetPtr {
		return "", false
	}
	a := e.Interface().(*ast.AttrGetExpr)
	id, ok := a.Object.(*ast.IdentExpr)
	if !ok || id.Value != "_" {
		return "", false
	}
	k, ok := a.Key.(*ast.StringExpr)
	if !ok {
		return "", false
	}
	return k.Value, true
}

// rewriteTableResult turns `return function() return {k1 = e1, ...} end`
// into `return function() return e1, ... end` when every field has a
// distinct constant string key, and returns the keys (nil if unchanged).
func rewriteTableResult(chunk []ast.Stmt) []string {
	if len(chunk) != 1 {
		return nil
	}
	outer, ok := chunk[0].(*ast.ReturnStmt)
	if !ok || len(outer.Exprs) != 1 {
		return nil
	}
	fn, ok := outer.Exprs[0].(*ast.FunctionExpr)
	if !ok || len(fn.Stmts) != 1 {
		return nil
	}
	ret, ok := fn.Stmts[0].(*ast.ReturnStmt)
	if !ok || len(ret.Exprs) != 1 {
		return nil
	}
	tbl, ok := ret.Exprs[0].(*ast.TableExpr)
	if !ok || len(tbl.Fields) == 0 || len(tbl.Fields) > 100 {
		return nil
	}
	keys := make([]string, 0, len(tbl.Fields))
	values := make([]ast.Expr, 0, len(tbl.Fields))
	for _, f := range tbl.Fields {
		k, ok := f.Key.(*ast.StringExpr)
		if !ok || slices.Contains(keys, k.Value) {
			return nil
		}
		keys = append(keys, k.Value)
		values = append(values, f.Value)
	}
	ret.Exprs = values
	return keys
}

// Nil-safe comparisons
//
// In one-liners an ordering comparison (<, <=, >, >=) with nil on either
// side is false instead of an error, so that a record lacking a field the
// filter compares is dropped and the stream goes on, as with
// `jq 'select(.status >= 500)'`. Lua raises "attempt to compare nil with
// number"; gopher-lua's VM cannot be changed, so the code is rewritten:
//
//   - against a number constant (`status >= 500`, the common filter), the
//     other side becomes `(x or nan)`: NaN compares false with every
//     number. It costs a test and a jump, no call. A false operand also
//     compares false there, instead of raising.
//   - otherwise (`a < b`, `name >= "m"`) the comparison becomes a call of a
//     Lua helper defined as a local of the chunk, which returns false for
//     nil and compares as Lua does otherwise (metamethods and errors
//     included).
//
// == and ~= need nothing: nil == 500 is false in Lua.

// nilSafeHelperNames are the helper locals by operator. They are not
// identifiers, so no user code can name or shadow them.
var nilSafeHelperNames = map[string]string{"<": "\x00lt", "<=": "\x00le", ">": "\x00gt", ">=": "\x00ge"}

// nilSafePrelude defines the helpers, renamed by nilSafeComparisons. It is
// one line, so that a helper's error ("attempt to compare number with
// string") names line 1, where one-liners are.
const nilSafePrelude = `local lt, le, gt, ge = ` +
	`function(a, b) if a == nil or b == nil then return false end return a < b end, ` +
	`function(a, b) if a == nil or b == nil then return false end return a <= b end, ` +
	`function(a, b) if a == nil or b == nil then return false end return a > b end, ` +
	`function(a, b) if a == nil or b == nil then return false end return a >= b end`

// nilSafeComparisons rewrites the ordering comparisons of chunk as the
// section comment says, adding the helpers in front of it when needed, and
// reports whether it changed anything.
func nilSafeComparisons(chunk []ast.Stmt) ([]ast.Stmt, bool) {
	var st rewriteState
	rewriteComparisons(reflect.ValueOf(chunk), &st)
	if !st.helpers {
		return chunk, st.changed
	}
	prelude, err := parseChunk(nilSafePrelude, "expr")
	if err != nil {
		panic(err) // a constant that parses
	}
	local := prelude[0].(*ast.LocalAssignStmt)
	for i, op := range []string{"<", "<=", ">", ">="} {
		local.Names[i] = nilSafeHelperNames[op]
	}
	return append([]ast.Stmt{local}, chunk...), true
}

// rewriteState is what rewriteComparisons did.
type rewriteState struct {
	changed bool // a comparison was rewritten
	helpers bool // into a helper call
}

// rewriteComparisons rewrites, bottom up, every ordering comparison under v.
func rewriteComparisons(v reflect.Value, st *rewriteState) {
	lua.EachASTChild(v, func(c reflect.Value) { rewriteComparisons(c, st) })
	if v.Kind() == reflect.Interface && !v.IsNil() && v.Type() == exprInterface && v.CanSet() {
		if r, ok := v.Elem().Interface().(*ast.RelationalOpExpr); ok {
			if e := nilSafe(r, st); e != nil {
				v.Set(reflect.ValueOf(e))
			}
		}
	}
}

// nilSafe makes the comparison r nil-safe: in place when one side is a
// number constant, else it returns the helper call to put in its place
// (nil when nothing is to be done).
func nilSafe(r *ast.RelationalOpExpr, st *rewriteState) ast.Expr {
	helper, ok := nilSafeHelperNames[r.Operator]
	if !ok {
		return nil
	}
	orNaN := func(e ast.Expr) ast.Expr {
		nan := &ast.NumberExpr{Value: "nan"}
		or := &ast.LogicalOpExpr{Operator: "or", Lhs: e, Rhs: nan}
		nan.SetLine(r.Line())
		or.SetLine(r.Line())
		or.SetLastLine(r.LastLine())
		return or
	}
	lnum, rnum := isNumberConst(r.Lhs), isNumberConst(r.Rhs)
	switch {
	case lnum && rnum:
		return nil
	case rnum:
		r.Lhs, st.changed = orNaN(r.Lhs), true
		return nil
	case lnum:
		r.Rhs, st.changed = orNaN(r.Rhs), true
		return nil
	}
	st.changed, st.helpers = true, true
	fn := &ast.IdentExpr{Value: helper}
	fn.SetLine(r.Line())
	call := &ast.FuncCallExpr{Func: fn, Args: []ast.Expr{r.Lhs, r.Rhs}, AdjustRet: true}
	call.SetLine(r.Line())
	call.SetLastLine(r.LastLine())
	return call
}

// callsNothing reports whether the per-record function of chunk (`return
// function() return EXPR end`) makes no function or method call and
// defines no function: evaluating it has no effect but its result.
func callsNothing(chunk []ast.Stmt) bool {
	if len(chunk) != 1 {
		return false
	}
	outer, isRet := chunk[0].(*ast.ReturnStmt)
	if !isRet || len(outer.Exprs) != 1 {
		return false
	}
	fn, isFn := outer.Exprs[0].(*ast.FunctionExpr)
	if !isFn {
		return false
	}
	ok := true
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		if !ok {
			return
		}
		if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && !v.IsNil() {
			switch v.Interface().(type) {
			case *ast.FuncCallExpr, *ast.FunctionExpr:
				ok = false
				return
			}
		}
		lua.EachASTChild(v, walk)
	}
	walk(reflect.ValueOf(fn.Stmts))
	return ok
}

// isNumberConst reports whether e is a number literal, negated or not.
func isNumberConst(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.NumberExpr:
		return true
	case *ast.UnaryMinusOpExpr:
		return isNumberConst(x.Expr)
	}
	return false
}

// looksLikeChunk guesses whether code that compiles neither as an
// expression nor as a chunk was meant as a chunk, to report that error.
func looksLikeChunk(code string) bool {
	for _, kw := range []string{"return", "local", "if", "for", "while", "repeat", "do", "emit"} {
		if strings.Contains(code, kw) {
			return true
		}
	}
	// An assignment: "=" that is not part of ==, ~=, <= or >=.
	for i := 0; i < len(code); i++ {
		if code[i] != '=' {
			continue
		}
		if i+1 < len(code) && code[i+1] == '=' {
			i++
			continue
		}
		if i > 0 && strings.IndexByte("=~<>", code[i-1]) >= 0 {
			continue
		}
		return true
	}
	return false
}

// scanGlobals adds to into the name of every global read (OP_GETGLOBAL) by
// p and the functions nested in it.
func scanGlobals(p *glua.FunctionProto, into map[string]bool) {
	lua.VisitGlobals(p, func(r lua.GlobalRef) {
		if !r.Write {
			into[r.Name] = true
		}
	})
}
