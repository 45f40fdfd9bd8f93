package bindings

import (
	"maps"
	"slices"
	"sync"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/lua"
	"github.com/streamctl/streamctl/state"
)

// shardWindows are the windows of one window operator whose cache is
// partitioned (api.md section 11): a state.Windower per shard, created when
// the shard is restored, from what it holds,
// flushed into the shard at each commit (so into its changelog), and
// dropped when the partition goes. Used from the main state; Release
// comes from the group's goroutine.
type shardWindows struct {
	cfg state.WindowConfig
	pc  *partitionedCache
	st  *state.Store

	mu     sync.Mutex
	byPart map[int32]*shardWindow
}

type shardWindow struct {
	sh     *shard
	w      *state.Windower
	remove func() // unregisters w's commit hook
}

func newShardWindows(cfg state.WindowConfig, pc *partitionedCache, st *state.Store) *shardWindows {
	sw := &shardWindows{cfg: cfg, pc: pc, st: st, byPart: map[int32]*shardWindow{}}
	pc.mu.Lock()
	pc.windows = append(pc.windows, sw)
	pc.mu.Unlock()
	return sw
}

// open creates the windower of shard sh, loading the windows the shard
// holds (restored with it): called when the shard becomes visible, so idle
// windows of a partition without new records close too. It does not call
// the aggregator (no Lua).
func (sw *shardWindows) open(sh *shard) error {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if x := sw.byPart[sh.p]; x != nil {
		if x.sh == sh {
			return nil
		}
		x.remove()
	}
	w, err := state.NewWindower(sw.cfg, sh.lc.c.Deferred())
	if err != nil {
		return err
	}
	sw.byPart[sh.p] = &shardWindow{sh: sh, w: w, remove: sw.st.OnCommit(w.Flush)}
	return nil
}

// forRecord returns the windower of the shard of the record being handled
// in L, creating it on the shard's first record.
func (sw *shardWindows) forRecord(s *lua.State, L *glua.LState, a *lua.ArgChecker) *state.Windower {
	sh := sw.pc.shardFor(s, L, a)
	if sh == nil {
		a.Raise("cache %q is partitioned: windows kept in it run in handlers of its topic %q", sw.pc.name, sw.pc.topic.Config().Topic)
	}
	sw.mu.Lock()
	x := sw.byPart[sh.p]
	sw.mu.Unlock()
	if x == nil || x.sh != sh {
		// The operator was made after the shard was restored.
		a.Check(sw.open(sh))
		sw.mu.Lock()
		x = sw.byPart[sh.p]
		sw.mu.Unlock()
	}
	return x.w
}

// release drops the windowers of parts (their last commit flushed them).
func (sw *shardWindows) release(parts []int32) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	for _, p := range parts {
		if x := sw.byPart[p]; x != nil {
			x.remove()
			delete(sw.byPart, p)
		}
	}
}

// all returns the windowers of the held shards, in partition order.
func (sw *shardWindows) all() []*state.Windower {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	out := make([]*state.Windower, 0, len(sw.byPart))
	for _, p := range slices.Sorted(maps.Keys(sw.byPart)) {
		out = append(out, sw.byPart[p].w)
	}
	return out
}
