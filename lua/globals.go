package lua

import (
	glua "github.com/yuin/gopher-lua"
)

// GlobalRef is one read or write of a global name in compiled code.
type GlobalRef struct {
	Name  string
	Line  int  // source line, 0 if unknown
	Write bool // an assignment (OP_SETGLOBAL), else a read
}

// VisitGlobals calls fn for every global read (OP_GETGLOBAL) and write
// (OP_SETGLOBAL) in p and the functions nested in it, with its source line.
// `streamctl check` and the one-liner engine find the names a chunk reads
// with it.
func VisitGlobals(p *glua.FunctionProto, fn func(GlobalRef)) {
	for pc, inst := range p.Code {
		op := int(inst >> 26)
		if op != glua.OP_GETGLOBAL && op != glua.OP_SETGLOBAL {
			continue
		}
		bx := int(inst & 0x3ffff)
		if bx >= len(p.Constants) {
			continue
		}
		s, ok := p.Constants[bx].(glua.LString)
		if !ok {
			continue
		}
		line := 0
		if pc < len(p.DbgSourcePositions) {
			line = p.DbgSourcePositions[pc]
		}
		fn(GlobalRef{Name: string(s), Line: line, Write: op == glua.OP_SETGLOBAL})
	}
	for _, c := range p.FunctionPrototypes {
		VisitGlobals(c, fn)
	}
}
