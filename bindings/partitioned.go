package bindings

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/kafka"
	"github.com/streamctl/streamctl/lua"
	"github.com/streamctl/streamctl/state"
)

// pcacheType is the metatable of partitioned caches: the cache methods,
// resolved per call to the shard of the record being handled.
const pcacheType = "streamctl.pcache"

// partitionedCache is the Go value behind cache.open(name, {partitioned_by
// = topic}) (api.md section 11): one shard per partition of topic that this
// process holds, each the internal cache NAME#P, restored from the
// changelog topic <group>-<name>-changelog when the group assigns the
// partition and visible from then until it is revoked. One per name and
// run, shared by every Lua state.
type partitionedCache struct {
	name      string
	cfg       state.CacheConfig
	topic     *kafka.Topic
	changelog string

	mu      sync.RWMutex
	shards  map[int32]*shard // restored and held
	windows []*shardWindows  // window operators keeping their windows here
}

// shard is one partition's part of a partitioned cache.
type shard struct {
	p      int32
	lc     *luaCache
	offset atomic.Int64 // how far the local copy holds the changelog
}

// held returns the visible shards in partition order.
func (pc *partitionedCache) held() []*shard {
	pc.mu.RLock()
	defer pc.mu.RUnlock()
	out := make([]*shard, 0, len(pc.shards))
	for _, p := range slices.Sorted(maps.Keys(pc.shards)) {
		out = append(out, pc.shards[p])
	}
	return out
}

// visible returns the held shards as one read-only cache.
func (pc *partitionedCache) visible() state.Shards {
	sh := pc.held()
	ss := make(state.Shards, len(sh))
	for i, s := range sh {
		ss[i] = s.lc.c
	}
	return ss
}

// partitioned returns the partitioned cache name of topic t, creating it
// the first time: t's commits go through the run's transaction, name is
// registered as partitioned, and t's restorer learns of it.
func (so *scaleOut) partitioned(s *lua.State, name string, cfg state.CacheConfig, t *kafka.Topic) (*partitionedCache, error) {
	so.mu.Lock()
	pc := so.byName[name]
	so.mu.Unlock()
	if pc != nil {
		if pc.topic != t || pc.cfg != cfg {
			return nil, fmt.Errorf("cache %q is already open with other options", name)
		}
		return pc, nil
	}
	if _, err := so.transactional(s, t); err != nil {
		return nil, err
	}
	so.mu.Lock()
	defer so.mu.Unlock()
	if err := so.st.Partitioned(name); err != nil {
		return nil, err
	}
	pc = &partitionedCache{name: name, cfg: cfg, topic: t, changelog: kafka.ChangelogTopic(t.Config().Group, name),
		shards: map[int32]*shard{}}
	if so.byName == nil {
		so.byName, so.byTopic = map[string]*partitionedCache{}, map[*kafka.Topic]*topicShards{}
	}
	so.byName[name] = pc
	ts := so.byTopic[t]
	if ts == nil {
		ts = &topicShards{so: so, topic: t, rt: s.Runtime()}
		so.byTopic[t] = ts
		t.AddRestorer(ts)
	}
	ts.mu.Lock()
	ts.caches = append(ts.caches, pc)
	ts.mu.Unlock()
	return pc, nil
}

// topicShards is the kafka.Restorer of one topic: it restores the shards
// of the topic's partitioned caches when the group assigns a partition, and
// closes them when it goes.
type topicShards struct {
	so    *scaleOut
	topic *kafka.Topic
	rt    *lua.Runtime

	mu     sync.Mutex
	caches []*partitionedCache
}

// Restore implements kafka.Restorer: it opens shard p of every partitioned
// cache of the topic, brings each up to date from its changelog partition
// and then makes them visible, all together.
func (ts *topicShards) Restore(ctx context.Context, p int32) (err error) {
	ts.mu.Lock()
	caches := slices.Clone(ts.caches)
	ts.mu.Unlock()
	so := ts.so
	logs := so.changelogs(ts.topic, ts.rt.Logger())
	st := so.store.opened()
	if st == nil {
		return errors.New("the state directory is closed")
	}
	began := time.Now()
	shards := make([]*shard, len(caches))
	defer func() {
		if err == nil {
			return
		}
		for i, sh := range shards {
			if sh == nil {
				continue
			}
			caches[i].mu.Lock()
			windows := slices.Clone(caches[i].windows)
			caches[i].mu.Unlock()
			for _, sw := range windows {
				sw.release([]int32{p})
			}
			sh.lc.c.Close()
		}
	}()
	targets := make([]kafka.RestoreTarget, len(caches))
	var applied atomic.Int64
	for i, pc := range caches {
		if err := logs.Ensure(ctx, pc.changelog, ts.topic.Config().Topic); err != nil {
			return err
		}
		c, err := st.Shard(pc.name, p, pc.cfg)
		if err != nil {
			return err
		}
		sh := &shard{p: p, lc: &luaCache{c: c}}
		shards[i] = sh
		from, err := changelogFrom(st, pc.changelog, p)
		if err != nil {
			return err
		}
		sh.offset.Store(max(from, 0))
		key, stat := changelogKey(pc.changelog, p), so.stat(pc.name, p)
		base, _ := stat.snapshot()
		targets[i] = kafka.RestoreTarget{
			Topic: pc.changelog,
			From:  from,
			Reset: func() error {
				sh.offset.Store(0)
				return c.Reset(key)
			},
			Apply: func(recs []kafka.ChangelogRecord, next int64) error {
				raw := make([]state.RawKV, len(recs))
				for j, r := range recs {
					raw[j] = state.RawKV{Key: r.Key, Entry: r.Value}
				}
				if err := c.ApplyRaw(raw, map[string][]byte{key: encodeChangelogPos(next, time.Now())}); err != nil {
					return fmt.Errorf("cache %q partition %d: %w", pc.name, p, err)
				}
				sh.offset.Store(next)
				applied.Add(int64(len(recs)))
				return nil
			},
			Progress: func(n, remaining int64) { stat.set(base+n, remaining) },
		}
	}
	ts.rt.Logger().Info("restore partition", "topic", ts.topic.Config().Topic, "partition", p)
	if err := logs.Restore(ctx, p, targets); err != nil {
		if ctx.Err() != nil {
			// Revoked meanwhile: what was applied stays, with its offset.
			ts.rt.Logger().Info("restore cancelled", "topic", ts.topic.Config().Topic, "partition", p,
				"records", applied.Load(), "took", time.Since(began).Round(time.Millisecond))
		}
		return err
	}
	for i, pc := range caches {
		pc.mu.Lock()
		windows := slices.Clone(pc.windows)
		pc.mu.Unlock()
		for _, sw := range windows {
			if err := sw.open(shards[i]); err != nil {
				return fmt.Errorf("cache %q partition %d: %w", pc.name, p, err)
			}
		}
	}
	for i, pc := range caches {
		pc.mu.Lock()
		pc.shards[p] = shards[i]
		pc.mu.Unlock()
	}
	ts.rt.Logger().Info("partition restored", "topic", ts.topic.Config().Topic, "partition", p,
		"records", applied.Load(), "took", time.Since(began).Round(time.Millisecond))
	return nil
}

// Release implements kafka.Restorer: the shards of parts are closed (after
// the commit of a revocation). Unless keep (the process stops), their local
// copies are deleted: another process holds them now, and `state dump`
// lists only what this one holds.
func (ts *topicShards) Release(parts []int32, keep bool) {
	ts.mu.Lock()
	caches := slices.Clone(ts.caches)
	ts.mu.Unlock()
	for _, pc := range caches {
		pc.mu.Lock()
		var gone []*shard
		for _, p := range parts {
			if sh := pc.shards[p]; sh != nil {
				gone = append(gone, sh)
				delete(pc.shards, p)
			}
		}
		windows := slices.Clone(pc.windows)
		pc.mu.Unlock()
		for _, sw := range windows {
			sw.release(parts)
		}
		for _, p := range parts {
			stat := ts.so.stat(pc.name, p)
			restored, _ := stat.snapshot()
			stat.set(restored, 0) // a restore cut short is not running any more
		}
		for _, sh := range gone {
			if !keep {
				if err := sh.lc.c.Reset(changelogKey(pc.changelog, sh.p)); err != nil {
					ts.rt.Logger().Warn("delete the local copy of a revoked partition", "cache", pc.name, "partition", sh.p, "err", err)
				}
			}
			sh.lc.c.Close()
		}
	}
}

// openPartitioned is cache.open(name, {partitioned_by = topic, ...}).
func (m *cacheModule) openPartitioned(s *lua.State, L *glua.LState, a *lua.ArgChecker, name string, cfg state.CacheConfig, by glua.LValue) int {
	ud, _ := by.(*glua.LUserData)
	var lt *luaTopic
	if ud != nil {
		lt, _ = ud.Value.(*luaTopic)
	}
	if lt == nil {
		a.Raise("partitioned_by must be a kafka.topic, got %s", lua.TypeName(by))
	}
	if lt.t.Config().Group == "" {
		a.Raise("partitioned_by: topic %q has no group: partitions are shared by the members of a group", lt.t.Config().Topic)
	}
	if cfg.Memory {
		a.Raise("a partitioned cache cannot be a memory cache")
	}
	pc, err := m.scale.partitioned(s, name, cfg, lt.t)
	a.Check(err)
	L.Push(pushUserData(L, pc, pcacheMeta(s)))
	return 1
}

// pushUserData wraps v in a userdata with metatable mt.
func pushUserData(L *glua.LState, v any, mt glua.LValue) *glua.LUserData {
	ud := L.NewUserData()
	ud.Value = v
	ud.Metatable = mt
	return ud
}

// pcacheMeta returns the metatable of partitioned caches in s, creating it
// the first time.
func pcacheMeta(s *lua.State) glua.LValue {
	L := s.L
	if mt := L.GetTypeMetatable(pcacheType); mt != glua.LNil {
		return mt
	}
	mt := L.NewTypeMetatable(pcacheType)
	L.SetField(mt, "__name", glua.LString("cache"))
	methods := L.NewTable()
	for name, fn := range cacheMethods {
		methods.RawSetString(name, L.NewFunction(func(L *glua.LState) int { return pcacheMethod(s, L, name, fn) }))
	}
	L.SetField(mt, "__index", methods)
	L.SetField(mt, "__call", L.NewFunction(func(L *glua.LState) int { return pcacheMethod(s, L, "()", cacheCall) }))
	L.SetField(mt, "__tostring", L.NewFunction(func(L *glua.LState) int {
		pc := checkSelf[*partitionedCache](L, "cache", "tostring", "a cache", "c")
		L.Push(glua.LString("cache: " + pc.name))
		return 1
	}))
	return mt
}

// pcacheMethod runs cache method name of a partitioned cache: in a handler
// of its topic on the shard of the record's partition; elsewhere reads go
// over every held shard and writes are refused.
func pcacheMethod(s *lua.State, L *glua.LState, name string, fn func(*lua.State, *glua.LState, *luaCache) int) int {
	fname := "cache:" + name
	if name == "()" {
		fname = "cache()"
	}
	pc := checkSelf[*partitionedCache](L, "cache", name, "a cache", "c")
	a := lua.Args(L, fname)
	if name == "updates" {
		a.Raise("not available on a partitioned cache (cache %q)", pc.name)
	}
	if lc := pc.shardOf(s, L, a); lc != nil {
		return fn(s, L, lc)
	}
	ss := pc.visible()
	switch name {
	case "get":
		v, ok, err := ss.Get(cacheKey(s, a, L, 2))
		a.Check(err)
		if !ok {
			L.Push(L.Get(3))
			return 1
		}
		L.Push(s.ToLua(v))
		return 1
	case "has":
		ok, err := ss.Has(cacheKey(s, a, L, 2))
		a.Check(err)
		L.Push(glua.LBool(ok))
		return 1
	case "count":
		n, err := ss.Count()
		a.Check(err)
		L.Push(glua.LNumber(n))
		return 1
	case "floor", "ceil":
		find := ss.Floor
		if name == "ceil" {
			find = ss.Ceil
		}
		k, v, ok, err := find(cacheKey(s, a, L, 2))
		a.Check(err)
		return pushKV(s, L, k, v, ok)
	case "range":
		return rangeIter(s, L, ss.Range)
	}
	a.Raise("cache %q is partitioned by %q: only its handlers write it, each to its record's partition", pc.name, pc.topic.Config().Topic)
	return 0
}

// shardOf returns the cache of the record's shard when L runs a handler
// of pc's topic, nil elsewhere (also in a handler's flush and tick steps,
// which have no record).
func (pc *partitionedCache) shardOf(s *lua.State, L *glua.LState, a *lua.ArgChecker) *luaCache {
	if sh := pc.shardFor(s, L, a); sh != nil {
		return sh.lc
	}
	return nil
}

// shardFor returns the shard of the record being handled in L, nil
// outside handlers of pc's topic; it raises when this process does not
// hold the record's partition.
func (pc *partitionedCache) shardFor(s *lua.State, L *glua.LState, a *lua.ArgChecker) *shard {
	if src := s.HandlerSource(L); src == nil || src != connectors.Source(pc.topic) {
		return nil
	}
	rec := s.CurrentRecord(L)
	if rec == nil {
		return nil
	}
	p, ok := rec.MetaInt("partition")
	if !ok {
		return nil
	}
	pc.mu.RLock()
	sh := pc.shards[int32(p)]
	pc.mu.RUnlock()
	if sh == nil {
		a.Raise("cache %q: partition %d is not held by this process", pc.name, p)
	}
	return sh
}
