package lua

import (
	"fmt"

	glua "github.com/yuin/gopher-lua"
)

// DefaultMaxValueSize is the size limit of strings and tables that Lua's
// allocating library functions build, unless Options.MaxValueSize says
// otherwise: far below the memory of any machine that runs a job, far above
// any record.
const DefaultMaxValueSize = 256 << 20

// tableSlotSize is what one table entry costs, roughly: the limit on the
// entries of a table is the size limit divided by it.
const tableSlotSize = 16

// limitSizes replaces the library functions of L that build a string or a
// table of a size their arguments choose with ones that raise a Lua error,
// which the handler's on_error gets, instead of allocating past max bytes
// (string.rep("x", 2^40) used to end the process, out of memory):
// string.rep, table.concat and table.insert, and checks the results of
// string.format and string.gsub; and it defines the function
// that guarded concatenations call (concat.go: "s = s .. s" in a loop).
// Tables that Lua code grows one entry at a time (t[#t + 1] = v in a
// loop) are not checked at each step: they grow as fast as the loop runs,
// and a handler's timeout bounds them.
func limitSizes(L *glua.LState, max int64) {
	if max <= 0 {
		max = DefaultMaxValueSize
	}
	tooBig := func(L *glua.LState, fn string, size float64) {
		L.RaiseError("%s: the result would be %s, over the size limit of %s (run --max-value-size)", fn, byteSize(size), byteSize(float64(max)))
	}
	L.SetGlobal(ConcatFunc, L.NewFunction(concatGuarded(max)))
	if str, ok := L.GetGlobal("string").(*glua.LTable); ok {
		if rep, ok := str.RawGetString("rep").(*glua.LFunction); ok {
			str.RawSetString("rep", L.NewFunction(func(L *glua.LState) int {
				s := L.CheckString(1)
				n := L.CheckNumber(2)
				if size := float64(len(s)) * float64(n); size > float64(max) {
					tooBig(L, "string.rep", size)
				}
				return callThrough(L, rep)
			}))
		}
		// string.format and string.gsub build a result a bounded factor
		// of their arguments' size (Go's fmt caps a width at 10^6): the
		// result is checked, so that growing a string through them in a
		// loop stops at the limit, as with "..".
		for _, name := range []string{"format", "gsub"} {
			fn, ok := str.RawGetString(name).(*glua.LFunction)
			if !ok || fn.GFunction == nil {
				continue
			}
			orig, what := fn.GFunction, "string."+name
			str.RawSetString(name, L.NewFunction(func(L *glua.LState) int {
				n := orig(L)
				if n == 0 {
					return 0
				}
				if s, ok := L.Get(-n).(glua.LString); ok && int64(len(s)) > max {
					tooBig(L, what, float64(len(s)))
				}
				return n
			}))
		}
	}
	tbl, ok := L.GetGlobal("table").(*glua.LTable)
	if !ok {
		return
	}
	if concat, ok := tbl.RawGetString("concat").(*glua.LFunction); ok {
		tbl.RawSetString("concat", L.NewFunction(func(L *glua.LState) int {
			t := L.CheckTable(1)
			sep := len(L.OptString(2, ""))
			var size float64
			n := t.Len()
			for i := 1; i <= n; i++ {
				if s, ok := t.RawGetInt(i).(glua.LString); ok {
					size += float64(len(s) + sep)
				} else {
					size += float64(24 + sep)
				}
			}
			if size > float64(max) {
				tooBig(L, "table.concat", size)
			}
			return callThrough(L, concat)
		}))
	}
	if insert, ok := tbl.RawGetString("insert").(*glua.LFunction); ok {
		maxEntries := max / tableSlotSize
		tbl.RawSetString("insert", L.NewFunction(func(L *glua.LState) int {
			if t, ok := L.Get(1).(*glua.LTable); ok && int64(t.Len()) >= maxEntries {
				L.RaiseError("table.insert: the table would hold more than %d entries, over the size limit of %s (run --max-value-size)", maxEntries, byteSize(float64(max)))
			}
			return callThrough(L, insert)
		}))
	}
}

// callThrough calls fn with the arguments of the running Go function and
// returns its results.
func callThrough(L *glua.LState, fn *glua.LFunction) int {
	top := L.GetTop()
	L.Insert(fn, 1)
	L.Call(top, glua.MultRet)
	return L.GetTop()
}

// byteSize formats a size: "1 TiB", "256 MiB", "12 B".
func byteSize(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if n == float64(int64(n)) {
		return fmt.Sprintf("%d %s", int64(n), units[i])
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}
