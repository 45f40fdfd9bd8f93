package lua

import (
	glua "github.com/yuin/gopher-lua"
)

// Check compiles a script without running it; the error is an *ExitError
// with code 2 naming "file:line".
func Check(src []byte, name string) error {
	s := newState(nil, -1)
	defer s.Close()
	_, err := s.Load(src, name)
	return err
}

var _ = glua.LNil
