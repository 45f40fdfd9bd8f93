//go:build !race

package oneliner

// raceEnabled reports whether the race detector instruments this test
// binary: memory measurements mean nothing then (it multiplies memory).
const raceEnabled = false
