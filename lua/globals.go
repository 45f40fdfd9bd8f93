package lua

import (
	glua "github.com/yuin/gopher-lua"
)

// globalRef is one read or write of a global name in compiled code.
type globalRef struct {
	name  string
	line  int
	write bool
}

// visitGlobals calls fn for every global read (OP_GETGLOBAL) and write
// (OP_SETGLOBAL) in p and the functions nested in it, with its source line.
func visitGlobals(p *glua.FunctionProto, fn func(globalRef)) {
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
		fn(globalRef{name: string(s), line: line, write: op == glua.OP_SETGLOBAL})
	}
	for _, c := range p.FunctionPrototypes {
		visitGlobals(c, fn)
	}
}
