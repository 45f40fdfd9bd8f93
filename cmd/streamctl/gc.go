package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// minHeapGoal is the smallest heap goal tuneGC lets the garbage collector
// work towards.
const minHeapGoal = 16 << 20

// tuneGC makes the collector run less often while the live heap is small,
// which is the normal case for `pipe` and `run`: a pipe keeps 1-3 MB alive
// (its Lua states and buffers) but allocates garbage for every record, and
// with the default GOGC=100 and its 4 MB minimum heap goal it collects
// every few milliseconds (72-79 collections for 300k records of a
// string-hashing expression with -w 2). Every collection stops the world
// twice and waits for each worker to reach a safe point, and runs a mark
// phase beside the workers; on a busy machine a worker whose thread is
// descheduled stalls the others. With a heap goal of at least 16 MB the
// same run collects 12 times (concurrent mark 55-69 ms instead of
// 334-376 ms) and takes 15-20% less wall time; lean expressions (the
// filter) do not change; RSS stays flat at about 35 MB instead of 23 MB.
// The handler path of `run` allocates a Lua table per record and gains
// more (see docs/performance.md).
// After each collection the GC percent is set so the next goal is max(2 x
// live heap, 16 MB): a pipe whose live heap grows (a --begin/--end
// aggregation) behaves as with GOGC=100 from 8 MB on. A GOGC set in the
// environment (getenv) is left alone. Only the first call in a process does
// anything; `streamctl pipe` and `streamctl run` call it.
func tuneGC(getenv func(string) (string, bool)) {
	tuneGCOnce.Do(func() {
		if gogc, _ := getenv("GOGC"); gogc != "" {
			return
		}
		setGCGoal()
	})
}

var tuneGCOnce sync.Once

// setGCGoal sets the GC percent for a heap goal of max(2 x live heap,
// minHeapGoal) and keeps it so after every collection.
func setGCGoal() {
	// The goal is max(live x (1 + percent/100), 4 MB x percent/100):
	// maxPercent puts the floor at minHeapGoal, and once the live heap
	// is large enough for live x (1 + maxPercent/100) to pass it, a lower
	// percent keeps the goal there, down to 100.
	const maxPercent = minHeapGoal / (4 << 20) * 100
	// The first metrics.Read builds the runtime's metrics table (0.1 ms):
	// it waits for the first collection, which `pipe true` never reaches.
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	percent := func() int {
		metrics.Read(sample)
		var live uint64
		if sample[0].Value.Kind() == metrics.KindUint64 {
			live = sample[0].Value.Uint64()
		}
		if live == 0 || live*(100+maxPercent)/100 <= minHeapGoal {
			return maxPercent
		}
		return int(max(100, 100*(minHeapGoal-min(live, minHeapGoal))/live))
	}
	debug.SetGCPercent(maxPercent)
	// A cleanup on an unreachable object runs after the collection that
	// found it; each one sets the percent and arms the next.
	var arm func()
	arm = func() {
		runtime.AddCleanup(new(gcTick), func(struct{}) {
			debug.SetGCPercent(percent())
			arm()
		}, struct{}{})
	}
	arm()
}

// gcTick is a heap object (not a tiny allocation, which could share its
// block with live objects and delay the cleanup).
type gcTick struct{ _ *int }
