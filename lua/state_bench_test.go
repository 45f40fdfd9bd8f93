package lua

import (
	"testing"

	glua "github.com/yuin/gopher-lua"
)

// BenchmarkNewCoroutine measures starting a coroutine and running a trivial
// function in it, as the scheduler does for every timer tick, hook and HTTP
// request; "default" uses gopher-lua's default stack sizes for comparison.
func BenchmarkNewCoroutine(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts glua.Options
	}{{"streamctl", stateOptions}, {"default", glua.Options{}}} {
		b.Run(bc.name, func(b *testing.B) {
			L := glua.NewState(bc.opts)
			defer L.Close()
			fn, err := L.LoadString("return 1")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				co, _ := L.NewThread()
				if _, err, _ := L.Resume(co, fn); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
