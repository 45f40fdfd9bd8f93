package oneliner

import (
	"reflect"
	"slices"

	"github.com/streamctl/streamctl/lua"
	glua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// Fields as parameters
//
// The code reads a record's fields as globals, so each field it reads is
// bound in the environment table per record: a gopher-lua RawSetString (two
// map operations and an allocation) per field and record, and a table
// lookup per read. A field that can only ever be that field is passed as a
// parameter of the per-record function instead, `return function(status)
// return status >= 500 end`, and read from a register; when the record
// lacks the field, the parameter is what the global was when the worker
// started (nil, or math for `math.floor(bytes / 1024)`), read once. A name
// qualifies when nothing can tell the difference:
//
//   - no code assigns it and the code cannot reach its environment by name
//     (needAll): the global it falls back to cannot change;
//   - the begin and end chunks do not read it, and the expression defines
//     no function (a function called later would read the global, which is
//     no longer bound, or keep the parameter of a past record);
//   - the code does not read `_` (needRecord: `_` is bound as a table whose
//     fields these are).
//
// Only the JSON input path binds fields this way; the others bind globals.

// paramPlan is what compilePipe learnt for the parameter variant, which a
// worker completes with the names its state defines (planParams).
type paramPlan struct {
	expr            string
	isExpr          bool
	fieldsRewritten bool
	definesFunc     bool            // the expression defines a function
	blocked         map[string]bool // assigned anywhere, or read by begin/end
}

// paramCode is the compiled parameter variant: params[i] is the global
// name (one of pipePrograms.names) passed as the i-th parameter.
type paramCode struct {
	params     []string
	expr, fast *glua.FunctionProto
}

// planParams decides which names become parameters and compiles the
// variant; nil when none does.
func (pp *pipePrograms) planParams() *paramCode {
	plan := pp.plan
	if plan == nil || pp.needRecord || pp.needAll || plan.definesFunc {
		return nil
	}
	var params []string
	for _, name := range pp.names {
		if !plan.blocked[name] {
			params = append(params, name)
		}
	}
	if len(params) == 0 {
		return nil
	}
	pc := &paramCode{params: params}
	build := func(nilSafe bool) (*glua.FunctionProto, error) {
		prefix := "return function() "
		if plan.isExpr {
			prefix += "return "
		}
		chunk, err := parseChunk(prefix+plan.expr+"\nend", "expr")
		if err != nil {
			return nil, err
		}
		if plan.fieldsRewritten {
			rewriteRecordFields(reflect.ValueOf(chunk))
		}
		if plan.isExpr {
			rewriteTableResult(chunk)
		}
		fn := chunk[0].(*ast.ReturnStmt).Exprs[0].(*ast.FunctionExpr)
		fn.ParList.Names = slices.Clone(params)
		if nilSafe {
			chunk, _ = nilSafeComparisons(chunk)
		}
		return compileAST(chunk, "expr")
	}
	var err error
	if pc.expr, err = build(true); err != nil {
		return nil // the global variant compiled: keep it
	}
	if pp.fast != nil {
		if pc.fast, err = build(false); err != nil {
			return nil
		}
	}
	return pc
}

// definesFunction reports whether the per-record function of chunk
// (`return function() ... end`) defines a function.
func definesFunction(chunk []ast.Stmt) bool {
	found := false
	var walk func(v reflect.Value, depth int)
	walk = func(v reflect.Value, depth int) {
		if found {
			return
		}
		if v.Kind() == reflect.Interface {
			if !v.IsNil() {
				walk(v.Elem(), depth)
			}
			return
		}
		if v.Kind() == reflect.Pointer && !v.IsNil() {
			if _, ok := v.Interface().(*ast.FunctionExpr); ok {
				if depth >= 1 {
					found = true
					return
				}
				lua.EachASTChild(v, func(c reflect.Value) { walk(c, depth+1) })
				return
			}
		}
		lua.EachASTChild(v, func(c reflect.Value) { walk(c, depth) })
	}
	walk(reflect.ValueOf(chunk), 0)
	return found
}
