package lua

import (
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
	for _, s := range stmts {
		guardStmt(s)
	}
	return stmts
}

func guardStmt(s ast.Stmt) {
	switch s := s.(type) {
	case *ast.AssignStmt:
		guardExprs(s.Lhs)
		guardExprs(s.Rhs)
	case *ast.LocalAssignStmt:
		guardExprs(s.Exprs)
	case *ast.FuncCallStmt:
		s.Expr = guardExpr(s.Expr)
	case *ast.DoBlockStmt:
		GuardConcat(s.Stmts)
	case *ast.WhileStmt:
		s.Condition = guardExpr(s.Condition)
		GuardConcat(s.Stmts)
	case *ast.RepeatStmt:
		GuardConcat(s.Stmts)
		s.Condition = guardExpr(s.Condition)
	case *ast.IfStmt:
		s.Condition = guardExpr(s.Condition)
		GuardConcat(s.Then)
		GuardConcat(s.Else)
	case *ast.NumberForStmt:
		s.Init, s.Limit = guardExpr(s.Init), guardExpr(s.Limit)
		if s.Step != nil {
			s.Step = guardExpr(s.Step)
		}
		GuardConcat(s.Stmts)
	case *ast.GenericForStmt:
		guardExprs(s.Exprs)
		GuardConcat(s.Stmts)
	case *ast.FuncDefStmt:
		guardExpr(s.Func)
	case *ast.ReturnStmt:
		guardExprs(s.Exprs)
	}
}

func guardExprs(es []ast.Expr) {
	for i, e := range es {
		es[i] = guardExpr(e)
	}
}

// guardExpr returns e with its guarded concatenations rewritten.
func guardExpr(e ast.Expr) ast.Expr {
	switch e := e.(type) {
	case *ast.StringConcatOpExpr:
		ops := concatOperands(e, nil)
		guardExprs(ops)
		variable := 0
		for _, op := range ops {
			if _, isConst := op.(ast.ConstExpr); !isConst {
				variable++
			}
		}
		if variable < 2 {
			return e // its operands may have been rewritten in place
		}
		call := &ast.FuncCallExpr{Func: &ast.IdentExpr{Value: ConcatFunc}, Args: ops}
		call.SetLine(e.Line())
		call.SetLastLine(e.LastLine())
		call.Func.SetLine(e.Line())
		call.Func.SetLastLine(e.Line())
		return call
	case *ast.AttrGetExpr:
		e.Object, e.Key = guardExpr(e.Object), guardExpr(e.Key)
	case *ast.TableExpr:
		for _, f := range e.Fields {
			if f.Key != nil {
				f.Key = guardExpr(f.Key)
			}
			f.Value = guardExpr(f.Value)
		}
	case *ast.FuncCallExpr:
		if e.Func != nil {
			e.Func = guardExpr(e.Func)
		}
		if e.Receiver != nil {
			e.Receiver = guardExpr(e.Receiver)
		}
		guardExprs(e.Args)
	case *ast.LogicalOpExpr:
		e.Lhs, e.Rhs = guardExpr(e.Lhs), guardExpr(e.Rhs)
	case *ast.RelationalOpExpr:
		e.Lhs, e.Rhs = guardExpr(e.Lhs), guardExpr(e.Rhs)
	case *ast.ArithmeticOpExpr:
		e.Lhs, e.Rhs = guardExpr(e.Lhs), guardExpr(e.Rhs)
	case *ast.UnaryMinusOpExpr:
		e.Expr = guardExpr(e.Expr)
	case *ast.UnaryNotOpExpr:
		e.Expr = guardExpr(e.Expr)
	case *ast.UnaryLenOpExpr:
		e.Expr = guardExpr(e.Expr)
	case *ast.FunctionExpr:
		GuardConcat(e.Stmts)
	}
	return e
}

// concatOperands appends the operands of the chain e (a .. b .. c parses as
// a .. (b .. c), as the VM's one instruction for it) to ops, left to right.
// A left operand that is itself a concatenation, (a .. b) .. c, stays one
// operand, guarded on its own.
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
			size := int64(len(glua.LVAsString(rhs)))
			for j := first; j <= i; j++ {
				size += int64(len(glua.LVAsString(L.Get(j))))
			}
			if size > max {
				L.RaiseError("string concatenation (..): the result would be %s, over the size limit of %s (run --max-value-size)", byteSize(float64(size)), byteSize(float64(max)))
			}
			var b strings.Builder
			b.Grow(int(size))
			for j := first; j <= i; j++ {
				b.WriteString(glua.LVAsString(L.Get(j)))
			}
			b.WriteString(glua.LVAsString(rhs))
			rhs = glua.LString(b.String())
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
