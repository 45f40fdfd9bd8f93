package bindings

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors/kafka"
	"github.com/streamctl/streamctl/lua"
	"github.com/streamctl/streamctl/state"
)

// gcacheType is the metatable of global caches.
const gcacheType = "streamctl.gcache"

// globalOpenTimeout bounds cache.open of a global cache: reaching the
// brokers and reading the topic up to its end.
const globalOpenTimeout = 5 * time.Minute

// globalCache is the Go value behind cache.open(name, {global = TOPIC})
// (api.md section 11): a local copy, in the state directory, of the whole
// compacted topic TOPIC, which every process reads from the start (no
// group) and keeps applying; writes are produced to the topic. One per name
// and run, shared by every Lua state.
type globalCache struct {
	name  string
	topic string
	lc    *luaCache
	table *kafka.Table
}

// globalPosKey is the position key of a global cache's offsets.
func globalPosKey(topic string) string { return "global:" + topic }

// global returns the global cache name on topic, opening it the first
// time: its local copy is brought up to the topic's end before it returns.
func (so *scaleOut) global(s *lua.State, name, topic string, cfg state.CacheConfig) (*globalCache, error) {
	so.mu.Lock()
	defer so.mu.Unlock()
	if gc := so.globals[name]; gc != nil {
		if gc.topic != topic || gc.lc.c.Config() != cfg {
			return nil, fmt.Errorf("cache %q is already open with other options", name)
		}
		return gc, nil
	}
	st, err := so.store.open(s)
	if err != nil {
		return nil, err
	}
	c, err := st.GlobalCache(name, cfg)
	if err != nil {
		return nil, err
	}
	key := globalPosKey(topic)
	var from map[int32]int64
	if b, ok, err := st.Position(key); err != nil {
		return nil, err
	} else if ok {
		if err := unmarshalOffsets(b, &from); err != nil {
			return nil, fmt.Errorf("cache %q: stored position %q: %w", name, b, err)
		}
	}
	rt := s.Runtime()
	brokers := so.brokers
	if len(brokers) == 0 {
		brokers = []string{defaultBrokers}
	}
	ctx, cancel := context.WithTimeout(rt.Context(), globalOpenTimeout)
	defer cancel()
	table, err := kafka.OpenTable(ctx, kafka.TableConfig{
		Config: kafka.Config{Brokers: brokers, Topic: topic},
		From:   from,
		Reset:  func() error { return c.Reset(key) },
		Apply: func(recs []kafka.ChangelogRecord, next map[int32]int64) error {
			raw := make([]state.RawKV, len(recs))
			for i, r := range recs {
				raw[i] = state.RawKV{Key: r.Key, Entry: r.Value}
			}
			return c.ApplyRaw(raw, map[string][]byte{key: marshalOffsets(next)})
		},
		OnError: func(err error) { rt.Fail(fmt.Errorf("cache %q: %w", name, err)) },
		Logger:  rt.Logger(),
	})
	if err != nil {
		c.Close()
		return nil, err
	}
	rt.OnClose(func(context.Context) error { table.Close(); return nil })
	gc := &globalCache{name: name, topic: topic, lc: &luaCache{c: c}, table: table}
	if so.globals == nil {
		so.globals = map[string]*globalCache{}
	}
	so.globals[name] = gc
	return gc, nil
}

// marshalOffsets encodes partition -> offset as {"P": offset}.
func marshalOffsets(m map[int32]int64) []byte {
	raw := make(map[string]int64, len(m))
	for p, off := range m {
		raw[strconv.Itoa(int(p))] = off
	}
	b, _ := json.Marshal(raw)
	return b
}

func unmarshalOffsets(b []byte, m *map[int32]int64) error {
	var raw map[string]int64
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = make(map[int32]int64, len(raw))
	for k, off := range raw {
		p, err := strconv.ParseInt(k, 10, 32)
		if err != nil {
			return err
		}
		(*m)[int32(p)] = off
	}
	return nil
}

// openGlobal is cache.open(name, {global = TOPIC, ...}).
func (m *cacheModule) openGlobal(s *lua.State, L *glua.LState, a *lua.ArgChecker, name string, cfg state.CacheConfig, topic string) int {
	if topic == "" {
		a.Raise("global must be a topic name")
	}
	if cfg.Memory {
		a.Raise("a global cache cannot be a memory cache")
	}
	if s.Runtime() == nil {
		a.Raise("not available here")
	}
	gc, err := m.scale.global(s, name, topic, cfg)
	a.Check(err)
	L.Push(pushUserData(L, gc, gcacheMeta(s)))
	return 1
}

// gcacheMeta returns the metatable of global caches in s, creating it the
// first time: reads are the local copy's; put, del and c(k, v) are waiting
// calls that produce to the topic.
func gcacheMeta(s *lua.State) glua.LValue {
	L := s.L
	if mt := L.GetTypeMetatable(gcacheType); mt != glua.LNil {
		return mt
	}
	mt := L.NewTypeMetatable(gcacheType)
	L.SetField(mt, "__name", glua.LString("cache"))
	methods := L.NewTable()
	for name, fn := range cacheMethods {
		switch name {
		case "get", "has", "range", "floor", "ceil", "count":
			methods.RawSetString(name, L.NewFunction(func(L *glua.LState) int {
				return fn(s, L, checkSelf[*globalCache](L, "cache", name, "a cache", "c").lc)
			}))
		default:
			methods.RawSetString(name, L.NewFunction(func(L *glua.LState) int {
				gc := checkSelf[*globalCache](L, "cache", name, "a cache", "c")
				lua.Args(L, "cache:"+name).Raise("not available on a global cache (cache %q): its writes are put and del, which go through its topic", gc.name)
				return 0
			}))
		}
	}
	methods.RawSetString("put", s.WaitingFunc(func(L *glua.LState) int { return gcacheWrite(s, L, "put") }))
	methods.RawSetString("del", s.WaitingFunc(func(L *glua.LState) int { return gcacheWrite(s, L, "del") }))
	L.SetField(mt, "__index", methods)
	L.SetField(mt, "__call", s.WaitingFunc(func(L *glua.LState) int { return gcacheWrite(s, L, "()") }))
	L.SetField(mt, "__tostring", L.NewFunction(func(L *glua.LState) int {
		gc := checkSelf[*globalCache](L, "cache", "tostring", "a cache", "c")
		L.Push(glua.LString("cache: " + gc.name))
		return 1
	}))
	return mt
}

// gcacheWrite produces c:put, c:del or c(k, v) (method "()") of a global
// cache to its topic and waits until the local copy holds it.
func gcacheWrite(s *lua.State, L *glua.LState, method string) int {
	fname, put := "cache:"+method, method != "del"
	if method == "()" {
		fname = "cache()"
	}
	gc := checkSelf[*globalCache](L, "cache", method, "a cache", "c")
	a := lua.WaitArgs(L, fname)
	k := cacheKey(s, a, L, 2)
	key, err := state.EncodeKey(k)
	a.Check(err)
	var entry []byte
	if put {
		v := cacheValue(s, a, L.Get(3))
		var ttl time.Duration
		if method == "put" {
			ttl = a.Options(4, "ttl").Duration("ttl", 0)
		}
		entry, err = gc.lc.c.EncodeEntry(v, ttl)
		a.Check(err)
	}
	return s.Await(L, func(ctx context.Context) (lua.Results, error) {
		if err := gc.table.Write(ctx, key, entry); err != nil {
			return nil, fmt.Errorf("%s: %w", fname, err)
		}
		return nil, nil
	})
}

// globalOffsets returns, for /metrics, each global cache's offsets read.
func (so *scaleOut) globalOffsets() map[string]map[int32]int64 {
	so.mu.Lock()
	gcs := maps.Clone(so.globals)
	so.mu.Unlock()
	out := map[string]map[int32]int64{}
	for name, gc := range gcs {
		_, next := gc.table.Partitions()
		out[name] = next
	}
	return out
}
