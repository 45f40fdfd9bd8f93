package bindings

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/lua"
	"github.com/streamctl/streamctl/state"
)

const cacheType = "streamctl.cache"

// cacheModule provides cache.open (api.md section 5). Caches are goleveldb
// databases under the run's state directory, shared by every Lua state of
// the process by name.
type cacheModule struct {
	store *stateStore
	scale *scaleOut // partitioned and global caches
}

func (*cacheModule) Name() string { return "cache" }

// luaCache is the Go value behind a Lua cache object: the state.Cache plus
// the subscribers of c:updates(). One per cache name and process.
type luaCache struct {
	c *state.Cache
	// updating is the Lua state running c's update function, if any: the
	// update holds c's write lock, so a write to c from that state would
	// wait for itself forever. Set and cleared under that lock.
	updating atomic.Pointer[lua.State]
	mu       sync.Mutex
	subs     []*updateQueue
}

var cacheMethods = map[string]func(*lua.State, *glua.LState, *luaCache) int{
	"get":     cacheGet,
	"put":     cachePut,
	"del":     cacheDel,
	"has":     cacheHas,
	"incr":    cacheIncr,
	"update":  cacheUpdate,
	"range":   cacheRange,
	"floor":   cacheFloor,
	"ceil":    cacheCeil,
	"sweep":   cacheSweep,
	"clear":   cacheClear,
	"count":   cacheCount,
	"updates": cacheUpdates,
}

func (m *cacheModule) Open(s *lua.State) error {
	L := s.L
	mt := L.NewTypeMetatable(cacheType)
	L.SetField(mt, "__name", glua.LString("cache"))
	methods := L.NewTable()
	for name, fn := range cacheMethods {
		fn, fname := fn, "cache:"+name
		methods.RawSetString(name, L.NewFunction(func(L *glua.LState) int {
			return fn(s, L, checkCache(L, fname))
		}))
	}
	L.SetField(mt, "__index", methods)
	L.SetField(mt, "__call", L.NewFunction(func(L *glua.LState) int { return cacheCall(s, L, checkCache(L, "cache()")) }))
	L.SetField(mt, "__tostring", L.NewFunction(func(L *glua.LState) int {
		L.Push(glua.LString("cache: " + checkCache(L, "tostring").c.Name()))
		return 1
	}))
	L.SetGlobal("cache", L.SetFuncs(L.NewTable(), map[string]glua.LGFunction{
		"open": func(L *glua.LState) int { return m.open(s, L) },
	}))
	return nil
}

// cache.open(name [, {memory=, ttl=, sync=}])
func (m *cacheModule) open(s *lua.State, L *glua.LState) int {
	a := lua.Args(L, "cache.open")
	name := a.String(1, "name")
	o := a.Options(2, "memory", "ttl", "sync", "partitioned_by", "global")
	cfg := state.CacheConfig{Memory: o.Bool("memory", false), TTL: o.Duration("ttl", 0), Sync: o.Bool("sync", false)}
	switch by, global := o.Get("partitioned_by"), o.Get("global"); {
	case by != glua.LNil && global != glua.LNil:
		a.Raise("partitioned_by and global exclude each other")
	case m.store.fixtures != nil:
		// Under test the run is the group's only member and Kafka is a
		// fixture: a partitioned cache holds every partition, a global
		// cache starts empty and takes its puts; both are plain caches.
		if ud, ok := by.(*glua.LUserData); by != glua.LNil && (!ok || !isTopic(ud)) {
			a.Raise("partitioned_by must be a kafka.topic, got %s", lua.TypeName(by))
		}
	case by != glua.LNil:
		return m.openPartitioned(s, L, a, name, cfg, by)
	case global != glua.LNil:
		return m.openGlobal(s, L, a, name, cfg, o.String("global", ""))
	}
	lc, err := m.store.cache(s, name, cfg)
	a.Check(err)
	if lc.c.Config() != cfg {
		a.Raise("cache %q is already open with other options", name)
	}
	ud := L.NewUserData()
	ud.Value = lc
	ud.Metatable = L.GetTypeMetatable(cacheType)
	L.Push(ud)
	return 1
}

func isTopic(ud *glua.LUserData) bool {
	_, ok := ud.Value.(*luaTopic)
	return ok
}

func checkCache(L *glua.LState, fn string) *luaCache {
	return checkSelf[*luaCache](L, "cache", fn[len("cache:"):], "a cache", "c")
}

// key converts argument i to a cache key.
func cacheKey(s *lua.State, a *lua.ArgChecker, L *glua.LState, i int) any {
	v := L.Get(i)
	switch v.(type) {
	case glua.LString, glua.LNumber, glua.LBool, *glua.LTable:
	default:
		a.Raise("key must be a string, number, boolean or list of them, got %s", lua.TypeName(v))
	}
	k, err := s.FromLua(v)
	a.Check(err)
	return k
}

func cacheValue(s *lua.State, a *lua.ArgChecker, v glua.LValue) any {
	if v == glua.LNil {
		a.Raise("value must not be nil (use c:del(key) to delete)")
	}
	gv, err := s.FromLua(v)
	a.Check(err)
	return gv
}

// beforeWrite applies "output before state" to a write that is durable
// when it returns: what the script wrote to its sinks is flushed to the OS
// first. (Deferred writes are committed after the outputs anyway.)
func beforeWrite(s *lua.State, a *lua.ArgChecker) {
	if rt := s.Runtime(); rt != nil {
		a.Check(rt.FlushSinks())
	}
}

// beginWrite starts every write to c and returns the view to write
// through: it raises when c is written from inside its own c:update
// function (the update holds the cache's write lock, so the write would wait
// for itself forever). In a handler of a run that commits its state the
// write is deferred to the next commit (api.md section 10); elsewhere it is
// durable when it returns, after "output before state" (beforeWrite).
func beginWrite(s *lua.State, L *glua.LState, a *lua.ArgChecker, c *luaCache) *state.Cache {
	if c.updating.Load() == s {
		a.Raise("cannot write to cache %q inside its own update function (return the new value instead)", c.c.Name())
	}
	if s.Deferred(L) {
		return c.c.Deferred()
	}
	beforeWrite(s, a)
	return c.c
}

func cacheGet(s *lua.State, L *glua.LState, c *luaCache) int {
	a := lua.Args(L, "cache:get")
	k := cacheKey(s, a, L, 2)
	v, ok, err := c.c.Get(k)
	a.Check(err)
	if !ok {
		L.Push(L.Get(3))
		return 1
	}
	L.Push(s.ToLua(v))
	return 1
}

func cachePut(s *lua.State, L *glua.LState, c *luaCache) int {
	a := lua.Args(L, "cache:put")
	k := cacheKey(s, a, L, 2)
	w := builders.Get().(*state.ValueBuilder)
	v := encodedValue(s, a, w, L.Get(3))
	o := a.Options(4, "ttl")
	err := beginWrite(s, L, a, c).Put(k, v, o.Duration("ttl", 0))
	builders.Put(w) // Put copied the value (not when a raise skips this)
	a.Check(err)
	return 0
}

// builders holds the value builders of encodedValue.
var builders = sync.Pool{New: func() any { return new(state.ValueBuilder) }}

// encodedValue is cacheValue for a value that is only stored: a Lua value
// written straight into its stored encoding in w (valid until w is reused),
// which skips building the Go value. Values WriteValue leaves to FromLua
// take cacheValue's way, with its errors.
func encodedValue(s *lua.State, a *lua.ArgChecker, w *state.ValueBuilder, v glua.LValue) any {
	if v == glua.LNil {
		return cacheValue(s, a, v)
	}
	w.Reset()
	if s.WriteValue(v, w) {
		return w.Encoded()
	}
	return cacheValue(s, a, v)
}

func cacheDel(s *lua.State, L *glua.LState, c *luaCache) int {
	a := lua.Args(L, "cache:del")
	k := cacheKey(s, a, L, 2)
	a.Check(beginWrite(s, L, a, c).Delete(k))
	return 0
}

func cacheHas(s *lua.State, L *glua.LState, c *luaCache) int {
	a := lua.Args(L, "cache:has")
	ok, err := c.c.Has(cacheKey(s, a, L, 2))
	a.Check(err)
	L.Push(glua.LBool(ok))
	return 1
}

func cacheIncr(s *lua.State, L *glua.LState, c *luaCache) int {
	a := lua.Args(L, "cache:incr")
	k := cacheKey(s, a, L, 2)
	by := 1.0
	if L.Get(3) != glua.LNil {
		by = a.Number(3, "by")
	}
	n, err := beginWrite(s, L, a, c).Incr(k, by)
	a.Check(err)
	L.Push(glua.LNumber(n))
	return 1
}

func cacheUpdate(s *lua.State, L *glua.LState, c *luaCache) int {
	a := lua.Args(L, "cache:update")
	k := cacheKey(s, a, L, 2)
	fn := a.Func(3, "fn")
	w := beginWrite(s, L, a, c)
	var result glua.LValue = glua.LNil
	_, err := w.Update(k, func(old any, ok bool) (any, bool, error) {
		// fn runs with c's write lock held: until it returns, s must not
		// write to c (beginWrite).
		c.updating.Store(s)
		defer c.updating.Store(nil)
		var lold glua.LValue = glua.LNil
		if ok {
			lold = s.ToLua(old)
		}
		res, err := s.CallValues(fn, 1, lold)
		if err != nil {
			return nil, false, err
		}
		result = res[0]
		if result == glua.LNil {
			return nil, true, nil
		}
		nv, err := s.FromLua(result)
		return nv, false, err
	})
	a.Check(err)
	L.Push(result)
	return 1
}

// c:range{from=, to=, prefix=, reverse=, limit=} -> iterator of k, v.
// Entries are read in pages, so a range over a large cache stays small.
func cacheRange(s *lua.State, L *glua.LState, c *luaCache) int {
	return rangeIter(s, L, c.c.Range)
}

// rangeIter is c:range over ranger: a cache's Range, or a partitioned
// cache's shards merged (state.Shards.Range).
func rangeIter(s *lua.State, L *glua.LState, ranger func(state.RangeOptions, func(k, v any) bool) error) int {
	a := lua.Args(L, "cache:range")
	o := a.Options(2, "from", "to", "prefix", "reverse", "limit")
	opt := state.RangeOptions{Reverse: o.Bool("reverse", false), Limit: o.Int("limit", 0, 0)}
	for _, f := range []struct {
		name string
		dst  *any
	}{{"from", &opt.From}, {"to", &opt.To}, {"prefix", &opt.Prefix}} {
		if v := o.Get(f.name); v != glua.LNil {
			k, err := s.FromLua(v)
			a.Check(err)
			*f.dst = k
		}
	}
	const page = 256
	var buf []state.KV
	remaining := opt.Limit
	var last any
	started, done := false, false
	next := func(L *glua.LState) int {
		if len(buf) == 0 && !done {
			po := opt
			po.Limit = page + 1
			if started {
				if opt.Reverse {
					po.To = last
				} else {
					po.From = last
				}
			}
			err := ranger(po, func(k, v any) bool {
				if started && !opt.Reverse && len(buf) == 0 && keyEqual(k, last) {
					return true // From is inclusive: skip the last key of the previous page
				}
				buf = append(buf, state.KV{Key: k, Value: v})
				return len(buf) < page
			})
			if err != nil {
				L.RaiseError("cache:range: %v", err)
			}
			started = true
			if len(buf) < page {
				done = true
			}
		}
		if len(buf) == 0 || (opt.Limit > 0 && remaining == 0) {
			return 0
		}
		kv := buf[0]
		buf = buf[1:]
		last = kv.Key
		remaining--
		L.Push(s.ToLua(kv.Key))
		L.Push(s.ToLua(kv.Value))
		return 2
	}
	L.Push(L.NewFunction(next))
	return 1
}

func keyEqual(a, b any) bool {
	ea, err1 := state.EncodeKey(a)
	eb, err2 := state.EncodeKey(b)
	return err1 == nil && err2 == nil && string(ea) == string(eb)
}

func cacheFloor(s *lua.State, L *glua.LState, c *luaCache) int {
	a := lua.Args(L, "cache:floor")
	k, v, ok, err := c.c.Floor(cacheKey(s, a, L, 2))
	a.Check(err)
	return pushKV(s, L, k, v, ok)
}

func cacheCeil(s *lua.State, L *glua.LState, c *luaCache) int {
	a := lua.Args(L, "cache:ceil")
	k, v, ok, err := c.c.Ceil(cacheKey(s, a, L, 2))
	a.Check(err)
	return pushKV(s, L, k, v, ok)
}

func pushKV(s *lua.State, L *glua.LState, k, v any, ok bool) int {
	if !ok {
		L.Push(glua.LNil)
		L.Push(glua.LNil)
		return 2
	}
	L.Push(s.ToLua(k))
	L.Push(s.ToLua(v))
	return 2
}

func cacheSweep(s *lua.State, L *glua.LState, c *luaCache) int {
	a := lua.Args(L, "cache:sweep")
	fn := a.Func(2, "fn")
	w := beginWrite(s, L, a, c)
	var callErr error
	err := w.Sweep(func(k, v any) bool {
		if callErr != nil {
			return true
		}
		res, err := s.CallValues(fn, 1, s.ToLua(k), s.ToLua(v))
		if err != nil {
			callErr = err
			return true
		}
		return glua.LVAsBool(res[0])
	})
	if callErr != nil {
		a.Check(callErr)
	}
	a.Check(err)
	return 0
}

func cacheClear(s *lua.State, L *glua.LState, c *luaCache) int {
	a := lua.Args(L, "cache:clear")
	a.Check(beginWrite(s, L, a, c).Clear())
	return 0
}

func cacheCount(s *lua.State, L *glua.LState, c *luaCache) int {
	n, err := c.c.Count()
	lua.Args(L, "cache:count").Check(err)
	L.Push(glua.LNumber(n))
	return 1
}

// c(k, v): put and publish to c:updates() subscribers.
func cacheCall(s *lua.State, L *glua.LState, c *luaCache) int {
	a := lua.Args(L, "cache()")
	k := cacheKey(s, a, L, 2)
	v := cacheValue(s, a, L.Get(3))
	a.Check(c.putPublish(beginWrite(s, L, a, c), k, v))
	return 0
}

// putPublish puts v at k through the view w and publishes it to the
// subscribers of c:updates().
func (c *luaCache) putPublish(w *state.Cache, k, v any) error {
	if err := w.Put(k, v, 0); err != nil {
		return err
	}
	c.mu.Lock()
	subs := c.subs
	c.mu.Unlock()
	for _, q := range subs {
		q.rt.Busy(1) // until emitted: a virtual clock waits for it
		q.push(connectors.Record{Value: v, Key: k, Source: "cache:" + c.c.Name()})
	}
	return nil
}

// LuaSink implements lua.SinkProvider: a cache as a sink puts and publishes
// each record under its key; a record without a key is an error.
func (c *luaCache) LuaSink(s *lua.State) (lua.SinkRef, error) {
	return lua.SinkRef{Go: cacheSink{c: c, rt: s.Runtime()}, NeedKey: true}, nil
}

type cacheSink struct {
	c  *luaCache
	rt *lua.Runtime
}

func (k cacheSink) Write(_ context.Context, r connectors.Record) error {
	if r.Key == nil {
		return fmt.Errorf("cache %s: record has no key", k.c.c.Name())
	}
	// A sink is written by handlers: deferred when the run commits.
	w := k.c.c
	if k.rt != nil && k.rt.Commits() {
		w = w.Deferred()
	}
	return k.c.putPublish(w, r.Key, r.Value)
}
func (cacheSink) Flush(context.Context) error { return nil }
func (cacheSink) Close(context.Context) error { return nil }

// c:updates() -> a source of {value, meta.key} for every c(k, v). It
// subscribes at once, so no write made after the call is missed.
func cacheUpdates(s *lua.State, L *glua.LState, c *luaCache) int {
	a := lua.Args(L, "cache:updates")
	v, err := s.Shared("cache-updates", func() (any, error) {
		q := &updateQueue{wake: make(chan struct{}, 1), rt: s.Runtime()}
		c.mu.Lock()
		c.subs = append(c.subs, q)
		c.mu.Unlock()
		return &updateSource{c: c, q: q}, nil
	})
	a.Check(err)
	ud := L.NewUserData()
	ud.Value = v
	L.Push(ud)
	return 1
}

// updateSource delivers a cache's published writes. Publishing never blocks
// the writer (it may run in the same Lua state as the reader): records queue
// without bound until the handler takes them. It ends when every other
// source of the run ended, since nothing is left to write then.
type updateSource struct {
	c *luaCache
	q *updateQueue
}

// LuaSource implements lua.SourceProvider.
func (u *updateSource) LuaSource(*lua.State) (connectors.Source, *glua.LFunction, error) {
	return u, nil, nil
}

// Derived marks the source as fed by the run itself (see lua.Derived).
func (u *updateSource) Derived() bool { return true }

// Name implements connectors.Named.
func (u *updateSource) Name() string { return "cache:" + u.c.c.Name() + ":updates" }

// Run implements connectors.Source. Every published record is delivered:
// emits use a background context (only the handler's back-pressure can hold
// them), and ctx is checked between batches, so the end of the run still
// drains what was published before it.
func (u *updateSource) Run(ctx context.Context, emit func(context.Context, connectors.Record) error) error {
	defer u.c.unsubscribe(u.q)
	emitAll := func() error {
		recs := u.q.take()
		for i, r := range recs {
			err := emit(context.Background(), r)
			u.q.rt.Busy(-1)
			if err != nil {
				u.q.rt.Busy(-(len(recs) - i - 1))
				return err
			}
		}
		return nil
	}
	for {
		if err := emitAll(); err != nil {
			return err
		}
		select {
		case <-u.q.wake:
		case <-ctx.Done():
			if err := emitAll(); err != nil {
				return err
			}
			return ctx.Err()
		}
	}
}

func (c *luaCache) unsubscribe(q *updateQueue) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, s := range c.subs {
		if s == q {
			c.subs = append(c.subs[:i:i], c.subs[i+1:]...)
			return
		}
	}
}

// updateQueue is an unbounded queue of published records.
type updateQueue struct {
	mu   sync.Mutex
	recs []connectors.Record
	wake chan struct{}
	rt   *lua.Runtime // counts queued records for a virtual clock (Busy)
}

func (q *updateQueue) push(r connectors.Record) {
	q.mu.Lock()
	q.recs = append(q.recs, r)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *updateQueue) take() []connectors.Record {
	q.mu.Lock()
	defer q.mu.Unlock()
	r := q.recs
	q.recs = nil
	return r
}
