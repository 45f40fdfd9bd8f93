package lua

import glua "github.com/yuin/gopher-lua"

// MaxStepsPerResume exports maxStepsPerResume to tests.
const MaxStepsPerResume = maxStepsPerResume

// StepsInResume returns how many steps the handler driver running in L has
// run since the scheduler last resumed it from its queue, 0 outside a
// handler of the main state (tests of batching).
func StepsInResume(s *State, L *glua.LState) int {
	if in := s.current(L); in != nil && s.IsMain() {
		return in.stepsRun
	}
	return 0
}

// MetaFields exports metaFields to tests: the constant fields fn reads
// from its meta parameter, and whether that is all it does with it.
func MetaFields(fn *glua.LFunction) ([]string, bool) { return metaFields(fn) }
