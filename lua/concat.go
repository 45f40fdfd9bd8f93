package lua

import (
	"reflect"
	"strings"

	glua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// The size limit on concatenation. gopher-lua's `..` has no hook, so
// "s = s .. s" in a loop doubled a string until the process died out of
// memory (a string of 1 TiB after 40 steps). Scripts are compiled with
// every concatenation that can grow a string exponentially (at least two
// operands that are not constants, so both may be the growing string)
// turned into a call of ConcatFunc, which checks the size of the result
// before building it. A concatenation with at most one variable operand
// grows a string by a constant per step, as fast as the loop runs: a
// handler's timeout bounds it, and it stays the VM's instruction.

// ConcatFunc is the global that guarded concatenations call: not API, a
// name no script uses.
const ConcatFunc = "__streamctl_concat"

// GuardConcat rewrites, in place, the concatenations of a parsed chunk
// that have two or more operands that are not constants into calls of
// ConcatFunc with the operands in order (a .. b .. c is one call), so that
// a state with the size limit (limitSizes) checks them. It returns stmts.
func GuardConcat(stmts []ast.Stmt) []ast.Stmt {
	guardConcats(reflect.ValueOf(stmts))
	return stmts
}

// guardConcats rewrites the concatenations under v, top down: a chain is
// replaced as a whole, then the operands are walked, so a concatenation
// inside an operand ((s .. s) .. "x", f(s .. s) .. "x") is guarded too.
func guardConcats(v reflect.Value) {
	if v.Kind() == reflect.Interface && !v.IsNil() && v.Type() == exprType && v.CanSet() {
		if e, ok := v.Elem().Interface().(*ast.StringConcatOpExpr); ok {
			if call := guardedConcat(e); call != nil {
				v.Set(reflect.ValueOf(call))
			}
		}
	}
	EachASTChild(v, guardConcats)
}

// exprType is the type of ast.Expr.
var exprType = reflect.TypeOf((*ast.Expr)(nil)).Elem()

// guardedConcat returns the call of ConcatFunc that replaces the chain e,
// or nil when e has fewer than two operands that are not constants.
func guardedConcat(e *ast.StringConcatOpExpr) ast.Expr {
	ops := concatOperands(e, nil)
	variable := 0
	for _, op := range ops {
		if _, isConst := op.(ast.ConstExpr); !isConst {
			variable++
		}
	}
	if variable < 2 {
		return nil
	}
	call := &ast.FuncCallExpr{Func: &ast.IdentExpr{Value: ConcatFunc}, Args: ops}
	call.SetLine(e.Line())
	call.SetLastLine(e.LastLine())
	call.Func.SetLine(e.Line())
	call.Func.SetLastLine(e.Line())
	return call
}

// EachASTChild calls fn with what v, a node of a parsed chunk or a part of
// one, holds: the value a non-nil pointer or interface points to, the
// elements of a slice, the exported fields of a struct. Walks that rewrite
// a chunk (GuardConcat, the one-liner's rewrites) recurse through it.
func EachASTChild(v reflect.Value, fn func(reflect.Value)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			fn(v.Elem())
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			fn(v.Index(i))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fn(v.Field(i))
			}
		}
	}
}

// concatOperands appends the operands of the chain e (a .. b .. c parses as
// a .. (b .. c), as the VM's one instruction for it) to ops, left to right.
// A left operand that is itself a concatenation, (a .. b) .. c, stays one
// operand, guarded on its own (guardConcats walks into it).
func concatOperands(e *ast.StringConcatOpExpr, ops []ast.Expr) []ast.Expr {
	ops = append(ops, e.Lhs)
	if rhs, ok := e.Rhs.(*ast.StringConcatOpExpr); ok {
		return concatOperands(rhs, ops)
	}
	return append(ops, e.Rhs)
}

// concatGuarded is ConcatFunc: Lua's concatenation of its arguments, right
// to left as the VM does it (runs of strings and numbers joined at once,
// __concat metamethods called pairwise), raising instead of building a
// string of more than max bytes.
func concatGuarded(max int64) glua.LGFunction {
	return func(L *glua.LState) int {
		n := L.GetTop()
		if n == 2 { // the common case: two strings
			a, aok := L.Get(1).(glua.LString)
			b, bok := L.Get(2).(glua.LString)
			if aok && bok && int64(len(a))+int64(len(b)) <= max {
				L.Push(a + b)
				return 1
			}
		}
		rhs := L.Get(n)
		for i := n - 1; i >= 1; {
			lhs := L.Get(i)
			if !glua.LVCanConvToString(lhs) || !glua.LVCanConvToString(rhs) {
				rhs = concatMeta(L, lhs, rhs)
				i--
				continue
			}
			first := i // the run of operands that are strings or numbers
			for first > 1 && glua.LVCanConvToString(L.Get(first-1)) {
				first--
			}
			parts := make([]string, 0, i-first+2)
			var size int64
			for j := first; j <= i; j++ {
				parts = append(parts, glua.LVAsString(L.Get(j)))
				size += int64(len(parts[len(parts)-1]))
			}
			parts = append(parts, glua.LVAsString(rhs))
			if size += int64(len(parts[len(parts)-1])); size > max {
				L.RaiseError("string concatenation (..): the result would be %s, over the size limit of %s (run --max-value-size)", byteSize(float64(size)), byteSize(float64(max)))
			}
			rhs = glua.LString(strings.Join(parts, ""))
			i = first - 1
		}
		L.Push(rhs)
		return 1
	}
}

// concatMeta concatenates lhs and rhs through the __concat metamethod of
// one of them, as the VM does, or raises the VM's error.
func concatMeta(L *glua.LState, lhs, rhs glua.LValue) glua.LValue {
	op := L.GetMetaField(lhs, "__concat")
	if op == glua.LNil {
		op = L.GetMetaField(rhs, "__concat")
	}
	if op.Type() != glua.LTFunction {
		L.RaiseError("cannot perform concat operation between %v and %v", lhs.Type().String(), rhs.Type().String())
	}
	L.Push(op)
	L.Push(lhs)
	L.Push(rhs)
	L.Call(2, 1)
	return L.Get(-1)
}
