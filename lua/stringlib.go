package lua

import (
	glua "github.com/yuin/gopher-lua"
)

// Lua strings are bytes. gopher-lua's string.upper and string.lower go
// through Go's Unicode case mapping, which turns every byte that is not
// UTF-8 into U+FFFD ("caf\xe9" became "CAF\xef\xbf\xbd") and changes the
// case of letters beyond ASCII. useByteCase replaces them with what Lua
// itself does in the C locale: each byte on its own, A-Z and a-z only.
func useByteCase(L *glua.LState) {
	str, ok := L.GetGlobal("string").(*glua.LTable)
	if !ok {
		return
	}
	str.RawSetString("upper", L.NewFunction(func(L *glua.LState) int {
		L.Push(glua.LString(mapBytes(L.CheckString(1), 'a', 'z', 'A'-'a')))
		return 1
	}))
	str.RawSetString("lower", L.NewFunction(func(L *glua.LState) int {
		L.Push(glua.LString(mapBytes(L.CheckString(1), 'A', 'Z', 'a'-'A')))
		return 1
	}))
}

// mapBytes adds delta to every byte of s between lo and hi.
func mapBytes(s string, lo, hi byte, delta int) string {
	i := 0
	for i < len(s) && (s[i] < lo || s[i] > hi) {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if c := b[i]; c >= lo && c <= hi {
			b[i] = byte(int(c) + delta)
		}
	}
	return string(b)
}
