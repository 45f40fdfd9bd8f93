package bindings

import (
	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/lua"
)

// checkSelf returns the Go value behind argument 1 (self) of a method call,
// or raises "class:method: self must be a WHAT, got T (call it as
// VAR:method(...))" the way gopher-lua's iolib checks its files.
func checkSelf[T any](L *glua.LState, class, method, what, varName string) T {
	if ud, ok := L.Get(1).(*glua.LUserData); ok {
		if v, ok := ud.Value.(T); ok {
			return v
		}
	}
	lua.Args(L, class+":"+method).Raise("self must be %s, got %s (call it as %s:%s(...))", what, lua.TypeName(L.Get(1)), varName, method)
	var zero T
	return zero
}
