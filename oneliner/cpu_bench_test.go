package oneliner

import "testing"

// pipeHashExpr is a CPU-bound one-liner: a polynomial hash of the path
// field per record (about 20 loop iterations), keeping about half of the
// records. The -w benchmarks compare it on one and two workers.
const pipeHashExpr = `local h = 0 for i = 1, #path do h = (h * 31 + path:byte(i)) % 65521 end return h % 2 == 0`

func BenchmarkPipeHash(b *testing.B)   { benchPipe(b, 1, pipeHashExpr) }
func BenchmarkPipeHashW2(b *testing.B) { benchPipe(b, 2, pipeHashExpr) }
