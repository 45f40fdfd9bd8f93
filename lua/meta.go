package lua

import (
	"slices"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/value"
)

// A handler's meta, cheaply
//
// Building a record's meta table (MetaTable: source, key, time and the
// source's fields such as Kafka's topic, partition, offset and headers)
// costs about 25 allocations, most of them gopher-lua's bookkeeping of
// string keys, and most handlers read one field of it: `meta.key`. When the
// handler provably keeps no reference to meta, an instance refills one
// table per record with only the fields the handler reads, which is all a
// script can observe:
//
//   - in the handler's bytecode, its second parameter (meta, register 1) is
//     only indexed with constant string keys (`meta.key`, OP_GETTABLEKS):
//     never copied, stored, passed, returned, compared, captured by a
//     closure or assigned;
//   - nothing else sees meta: no pipe operator needs it (opNeedsMeta), no
//     sink is a Lua function or has a Lua encoder, and the script names
//     none of the ways to reach another function's locals or load other
//     code (debug, load, require, _G...; metaEscapeNames).
//
// Records of an instance are handled one at a time, so one table serves
// every record. Anything else gets a fresh table from MetaTable.

// metaRegister is the register of a handler's second parameter.
const metaRegister = 1

// metaEscapeNames are globals through which code could reach a handler's
// locals (debug.getlocal) or run code the analysis did not see.
var metaEscapeNames = []string{"debug", "_G", "getfenv", "setfenv", "load", "loadstring",
	"dofile", "loadfile", "require", "module"}

// metaFields reports the constant keys under which fn reads its meta
// parameter, and ok = false when fn may use meta in any other way.
func metaFields(fn *glua.LFunction) (fields []string, ok bool) {
	return paramFields(fn, metaRegister)
}

// paramFields reports the constant keys under which fn reads its parameter
// in register r, and ok = false when fn may use it in any other way.
func paramFields(fn *glua.LFunction, r int) (fields []string, ok bool) {
	p := fn.Proto
	if p == nil || int(p.NumParameters) < r+1 {
		return nil, false
	}
	// hits reports whether registers lo..hi (to the top when open) hold r.
	hits := func(lo, hi int, open bool) bool { return lo <= r && (open || r <= hi) }
	isReg := func(x int) bool { return x&0x100 == 0 && x == r } // an RK operand naming register r
	for _, inst := range p.Code {
		op := int(inst >> 26)
		a := int(inst>>18) & 0xff
		b := int(inst & 0x1ff)
		c := int(inst>>9) & 0x1ff
		var escapes bool
		switch op {
		case glua.OP_GETTABLEKS:
			escapes = a == r
			if b == r && !escapes {
				k, isStr := constantAt(p, c)
				if !isStr {
					return nil, false
				}
				if !slices.Contains(fields, k) {
					fields = append(fields, k)
				}
			}
		case glua.OP_JMP, glua.OP_CLOSE, glua.OP_NOP, glua.OP_TEST:
			// TEST reads R(A) for its truth only.
		case glua.OP_LOADK, glua.OP_LOADBOOL, glua.OP_GETUPVAL, glua.OP_GETGLOBAL, glua.OP_NEWTABLE,
			glua.OP_CLOSURE, glua.OP_SETGLOBAL, glua.OP_SETUPVAL:
			// Only A is a register: written, or read to be stored.
			escapes = a == r
		case glua.OP_LOADNIL:
			escapes = hits(a, b, false)
		case glua.OP_SETTABLE, glua.OP_SETTABLEKS:
			escapes = a == r || isReg(b) || isReg(c)
		case glua.OP_EQ, glua.OP_LT, glua.OP_LE:
			escapes = isReg(b) || isReg(c)
		case glua.OP_SELF:
			escapes = a == r || a+1 == r || isReg(b) || isReg(c)
		case glua.OP_CONCAT:
			escapes = a == r || hits(b, c, false)
		case glua.OP_CALL:
			escapes = hits(a, a+b-1, b == 0) || hits(a, a+c-2, c == 0)
		case glua.OP_TAILCALL:
			escapes = hits(a, a+b-1, b == 0)
		case glua.OP_RETURN:
			escapes = hits(a, a+b-2, b == 0)
		case glua.OP_SETLIST:
			escapes = hits(a, a+b, b == 0)
		case glua.OP_VARARG:
			escapes = hits(a, a+b-2, b == 0)
		case glua.OP_FORLOOP, glua.OP_FORPREP:
			escapes = hits(a, a+3, false)
		case glua.OP_TFORLOOP:
			escapes = hits(a, a+2+c, false)
		case glua.OP_MOVE, glua.OP_MOVEN, glua.OP_UNM, glua.OP_NOT, glua.OP_LEN, glua.OP_TESTSET:
			// Write R(A), read R(B) (the MOVEs after CLOSURE give a closure
			// its upvalues); C is a count or a flag.
			escapes = a == r || b == r
		default:
			// GETTABLE and arithmetic: write R(A), read R(B) and RK(C).
			escapes = a == r || isReg(b) || isReg(c)
		}
		if escapes {
			return nil, false
		}
	}
	return fields, true
}

// constantAt returns the string constant an RK operand names, if it is one.
func constantAt(p *glua.FunctionProto, rk int) (string, bool) {
	if rk&0x100 == 0 || rk&0xff >= len(p.Constants) {
		return "", false
	}
	s, ok := p.Constants[rk&0xff].(glua.LString)
	return string(s), ok
}

// scriptEscapes reports whether the compiled script p names any of
// metaEscapeNames.
func scriptEscapes(p *glua.FunctionProto) bool {
	escapes := false
	VisitGlobals(p, func(r GlobalRef) {
		escapes = escapes || slices.Contains(metaEscapeNames, r.Name)
	})
	return escapes
}

// planMeta sets up the reused meta table of in when the section comment's
// conditions hold; needMeta is already decided.
func (in *instance) planMeta() {
	if !in.needMeta || in.s.script == nil || scriptEscapes(in.s.script) {
		return
	}
	for _, op := range in.spec.Operators {
		if opNeedsMeta(op) {
			return
		}
	}
	for _, ref := range in.spec.Sinks {
		if ref.Fn != nil || ref.Encode != nil {
			return
		}
	}
	fields, ok := metaFields(in.spec.Fn)
	if !ok {
		return
	}
	in.metaFields = fields
	in.metaReused = in.s.L.CreateTable(0, len(fields))
}

// metaOf returns the meta table of rec for the handler: the reused one,
// refilled, when planMeta set it up, else a fresh MetaTable.
func (in *instance) metaOf(rec *connectors.Record) glua.LValue {
	t := in.metaReused
	if t == nil {
		return in.s.MetaTable(rec)
	}
	for _, k := range in.metaFields {
		in.s.setMetaField(t, k, rec)
	}
	return t
}

// setMetaField sets t[k] to the field k of rec's meta, as MetaTable would
// have it (the source's own fields win), or nil.
func (s *State) setMetaField(t *glua.LTable, k string, rec *connectors.Record) {
	if v, ok := rec.MetaField(k); ok {
		t.RawSetString(k, s.toLua(v))
		return
	}
	switch {
	case k == "source":
		t.RawSetString(k, glua.LString(rec.Source))
	case k == "key" && rec.Key != nil:
		t.RawSetString(k, s.toLua(rec.Key))
		if mayBeExact(rec.Key) {
			s.noteGoNumber(t, glua.LString(k), rec.Key)
		}
	case k == "time" && !rec.Time.IsZero():
		t.RawSetString(k, glua.LNumber(float64(rec.Time.UnixNano())/1e9))
	default:
		t.RawSetString(k, glua.LNil)
	}
}

// A record's value, cheaply
//
// A window operator counting records per key converts each record to a
// table only for its time and key functions to read a field or two of it:
// `time = function(e) return e.t end`. Converting a decoded object costs a
// table, a hash part and a boxed value per field, more than the window
// itself. When nothing else can see the record's table, an instance
// refills one table per record with only the fields those functions read:
//
//   - the handler's first pipe operator declares, in value_fns, the only
//     Lua functions it hands the record to; it hands the record to nothing
//     else, in particular not downstream (window.lua, when the windows do
//     not keep the records' values and have no late sink);
//   - each of those functions only indexes its first parameter with
//     constant string keys (paramFields, as for meta);
//   - the handler has no decode function, and the script names none of
//     metaEscapeNames;
//   - the record's value is a decoded object (value.Object); any other
//     value is converted as always.
//
// An operator that reads the fields it needs from Go itself declares
// record_fields = true besides value_fns (window.lua, when its time and key
// functions only return a field): the record's table is then left empty,
// and the operator reads the fields from the decoded object (RecordObject).

// valueRegister is the register of a function's first parameter.
const valueRegister = 0

// planValue sets up the reused value table of in when the section
// comment's conditions hold.
func (in *instance) planValue() {
	if len(in.spec.Operators) == 0 || in.spec.Decode != nil || in.s.script == nil || scriptEscapes(in.s.script) {
		return
	}
	fns, ok := in.spec.Operators[0].RawGetString("value_fns").(*glua.LTable)
	if !ok {
		return
	}
	var fields []string
	ok = true
	fns.ForEach(func(_, v glua.LValue) {
		f, isFn := v.(*glua.LFunction)
		if !isFn {
			ok = false
			return
		}
		if f.Proto == nil || f.Proto.NumParameters == 0 {
			return // reads no parameter (a Go function is not a Lua one)
		}
		fs, fine := paramFields(f, valueRegister)
		if !fine {
			ok = false
			return
		}
		for _, k := range fs {
			if !slices.Contains(fields, k) {
				fields = append(fields, k)
			}
		}
	})
	if !ok {
		return
	}
	in.valueFields = fields
	in.valueReused = in.s.L.CreateTable(0, len(fields))
	in.valueDirect = glua.LVAsBool(in.spec.Operators[0].RawGetString("record_fields"))
}

// valueOf returns the Lua value of rec's value for the handler: the reused
// table, refilled, when planValue set it up and the value is an object,
// else a fresh conversion.
func (in *instance) valueOf(v any) glua.LValue {
	t := in.valueReused
	obj, isObj := v.(value.Object)
	in.direct = nil
	if t == nil || !isObj {
		return in.s.ToLua(v)
	}
	if in.valueDirect {
		in.direct = obj // read by the operator through RecordObject
		return t
	}
	in.fill(t, obj)
	return t
}

// fill sets the valueFields of t from obj.
func (in *instance) fill(t *glua.LTable, obj value.Object) {
	for _, k := range in.valueFields {
		fv, ok := lastMember(obj, k)
		if !ok {
			t.RawSetString(k, glua.LNil)
			continue
		}
		t.RawSetString(k, in.s.toLua(fv))
		if mayBeExact(fv) {
			in.s.noteGoNumber(t, glua.LString(k), fv)
		}
	}
}

// lastMember returns the value of o's last member named k, which is the one
// a conversion of o to a table keeps.
func lastMember(o value.Object, k string) (any, bool) {
	for i := len(o) - 1; i >= 0; i-- {
		if o[i].Key == k {
			return o[i].Value, true
		}
	}
	return nil, false
}

// FieldGetter reports whether fn is a function that only returns a field of
// its first parameter, `function(e) return e.NAME end` (more parameters
// allowed, none used), and NAME. A caller holding the parameter as a plain
// table (no metatable) may then read the field itself instead of calling
// fn: for such a table, e.NAME is the raw field.
func FieldGetter(fn *glua.LFunction) (string, bool) {
	p := fn.Proto
	if p == nil || p.NumParameters < 1 || p.IsVarArg != 0 || len(p.Code) != 3 {
		return "", false
	}
	decode := func(inst uint32) (op, a, b, c int) {
		return int(inst >> 26), int(inst>>18) & 0xff, int(inst & 0x1ff), int(inst>>9) & 0x1ff
	}
	op, a, b, c := decode(p.Code[0])
	if op != glua.OP_GETTABLEKS || b != valueRegister {
		return "", false
	}
	name, ok := constantAt(p, c)
	if !ok {
		return "", false
	}
	if op, ra, rb, _ := decode(p.Code[1]); op != glua.OP_RETURN || ra != a || rb != 2 {
		return "", false
	}
	return name, true
}

// RecordObject returns the decoded object behind v, when v is the unfilled
// table of the current record that the first pipe operator of the handler
// running in L was handed because it declared record_fields (see "A
// record's value, cheaply"); ok is false otherwise, and the operator reads
// v as usual.
func (s *State) RecordObject(L *glua.LState, v glua.LValue) (obj value.Object, ok bool) {
	if in := s.current(L); in != nil && in.direct != nil && v == glua.LValue(in.valueReused) {
		return in.direct, true
	}
	return nil, false
}

// ObjectField returns the value of o's field k as a conversion of o to a
// table would hold it: the last member named k.
func ObjectField(o value.Object, k string) (any, bool) { return lastMember(o, k) }

// FillRecord fills the unfilled record table v (see RecordObject) with the
// fields the first operator's functions read, as if it had not declared
// record_fields: for values the operator does not read from Go itself.
func (s *State) FillRecord(L *glua.LState, v glua.LValue) {
	in := s.current(L)
	if in == nil || in.direct == nil || v != glua.LValue(in.valueReused) {
		return
	}
	obj := in.direct
	in.direct = nil
	in.fill(in.valueReused, obj)
}
