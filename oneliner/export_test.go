package oneliner

// Reads reports the global names the code reads (fields decoded per
// record) and whether it needs whole records (`_` or an escaping
// environment). It is for tests.
func (p *Program) Reads() (names []string, whole bool) {
	return append([]string(nil), p.progs.names...), p.progs.needRecord || p.progs.needAll
}
