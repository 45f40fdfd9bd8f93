package bindings

import (
	"fmt"
	"strconv"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/lua"
	"github.com/streamctl/streamctl/state"
	"github.com/streamctl/streamctl/value"
)

const checkpointType = "streamctl.checkpoint"

// checkpointModule provides checkpoint.new (api.md section 8): detect that a
// dependency stream stalled, pause the dependent source, and on recovery let
// the script seek it back to reprocess what may have been enriched with
// stale data. The logic is state.Checkpoint; its state persists in a cache.
type checkpointModule struct{ store *stateStore }

func (*checkpointModule) Name() string { return "checkpoint" }

// luaCheckpoint is the Go value behind a checkpoint, shared by every Lua
// state.
type luaCheckpoint struct {
	c         *state.Checkpoint
	dependent connectors.Pauser // nil when no dependent was given
}

// checkpointRef is the value of a checkpoint's userdata in one Lua state:
// the shared checkpoint and that state's callbacks.
type checkpointRef struct {
	*luaCheckpoint
	onDowntime, onRecovery *glua.LFunction
}

func (m *checkpointModule) Open(s *lua.State) error {
	L := s.L
	mt := L.NewTypeMetatable(checkpointType)
	L.SetField(mt, "__name", glua.LString("checkpoint"))
	L.SetField(mt, "__index", L.SetFuncs(L.NewTable(), map[string]glua.LGFunction{
		"heartbeat": func(L *glua.LState) int { return checkpointHeartbeat(s, L) },
		"pulse":     func(L *glua.LState) int { return checkpointPulse(s, L) },
		"dep":       func(L *glua.LState) int { return checkpointDep(s, L) },
	}))
	L.SetGlobal("checkpoint", L.SetFuncs(L.NewTable(), map[string]glua.LGFunction{
		"new": func(L *glua.LState) int { return m.newCheckpoint(s, L) },
	}))
	return nil
}

// checkpoint.new(name, {dependent=, dependencies={{name=, threshold=}}, on_downtime=, on_recovery=, cache=})
func (m *checkpointModule) newCheckpoint(s *lua.State, L *glua.LState) int {
	a := lua.Args(L, "checkpoint.new")
	name := a.String(1, "name")
	o := a.Options(2, "dependent", "dependencies", "on_downtime", "on_recovery", "cache")
	if s.Runtime() == nil {
		a.Raise("not available here")
	}
	var cfg state.CheckpointConfig
	deps := o.Table("dependencies")
	if deps == nil || deps.Len() == 0 {
		a.Raise("dependencies must be a list like {{name = \"weather\", threshold = \"1h\"}}, got %s", lua.TypeName(o.Get("dependencies")))
	}
	for i := 1; i <= deps.Len(); i++ {
		dt, ok := deps.RawGetInt(i).(*glua.LTable)
		if !ok {
			a.Raise("dependencies[%d] must be a table {name=, threshold=}, got %s", i, lua.TypeName(deps.RawGetInt(i)))
		}
		do := a.CheckOptions(dt, "name", "threshold")
		cfg.Dependencies = append(cfg.Dependencies, state.Dependency{
			Name: do.String("name", ""), Threshold: do.Duration("threshold", state.DefaultThreshold)})
	}
	var pauser connectors.Pauser
	if v := o.Get("dependent"); v != glua.LNil {
		ud, ok := v.(*glua.LUserData)
		var prov lua.SourceProvider
		if ok {
			prov, ok = ud.Value.(lua.SourceProvider)
		}
		if !ok {
			a.Raise("dependent must be a source (a Kafka topic, a file), got %s", lua.TypeName(v))
		}
		src, _, err := prov.LuaSource(s)
		a.Check(err)
		if pauser, ok = src.(connectors.Pauser); !ok {
			a.Raise("dependent must be a source that can pause (a Kafka topic or a followed file), got %s", connectors.NameOf(src))
		}
	}
	v, err := s.Shared("checkpoint", func() (any, error) {
		var store *state.Cache
		var err error
		if cv := o.Get("cache"); cv != glua.LNil {
			ud, ok := cv.(*glua.LUserData)
			lcache, isCache := (*luaCache)(nil), false
			if ok {
				lcache, isCache = ud.Value.(*luaCache)
			}
			if !isCache {
				return nil, fmt.Errorf("cache must be a cache from cache.open, got %s", lua.TypeName(cv))
			}
			store = lcache.c
		} else {
			lc, err := m.store.cache(s, "checkpoints", state.CacheConfig{})
			if err != nil {
				return nil, err
			}
			store = lc.c
		}
		// Checkpoints are written from handlers: committed with the
		// positions of their records (api.md section 10).
		c, err := state.NewCheckpoint(name, cfg, store.Deferred())
		if err != nil {
			return nil, err
		}
		lc := &luaCheckpoint{c: c, dependent: pauser}
		if pauser != nil && c.Paused() {
			pauser.Pause() // it was paused when the last run ended
		}
		return lc, nil
	})
	a.Check(err)
	ud := L.NewUserData()
	ud.Value = &checkpointRef{luaCheckpoint: v.(*luaCheckpoint), onDowntime: o.Func("on_downtime"), onRecovery: o.Func("on_recovery")}
	ud.Metatable = L.GetTypeMetatable(checkpointType)
	L.Push(ud)
	return 1
}

func checkCheckpoint(L *glua.LState, method string) (*checkpointRef, *glua.LUserData) {
	return checkSelf[*checkpointRef](L, "checkpoint", method, "a checkpoint", "cp"), L.Get(1).(*glua.LUserData)
}

// cp:heartbeat([dep,] t)
func checkpointHeartbeat(s *lua.State, L *glua.LState) int {
	lc, self := checkCheckpoint(L, "heartbeat")
	a := lua.Args(L, "checkpoint:heartbeat")
	dep, ti := "", 2
	if _, ok := L.Get(2).(glua.LString); ok {
		dep, ti = a.String(2, "dep"), 3
	}
	t := unixTime(a.Number(ti, "t"))
	recovered, err := lc.c.Heartbeat(dep, t)
	a.Check(err)
	if recovered != nil {
		lc.recover(s, a, self, recovered)
	}
	return 0
}

// downtime = cp:pulse(t [, state])
func checkpointPulse(s *lua.State, L *glua.LState) int {
	lc, self := checkCheckpoint(L, "pulse")
	a := lua.Args(L, "checkpoint:pulse")
	t := unixTime(a.Number(2, "t"))
	var st map[string]any
	if L.Get(3) != glua.LNil {
		v, err := s.FromLua(a.Table(3, "state"))
		a.Check(err)
		st = toStateMap(v)
	}
	res, err := lc.c.Pulse(t, st)
	a.Check(err)
	for _, d := range res.NewlyDown {
		if lc.dependent != nil {
			lc.dependent.Pause()
		}
		if lc.onDowntime != nil {
			_, err := s.CallValues(lc.onDowntime, 0, self, depTable(s, d))
			a.Check(err)
		}
	}
	if res.Recovered != nil {
		lc.recover(s, a, self, res.Recovered)
	}
	if res.Down {
		L.Push(glua.LNumber(res.Downtime.Seconds()))
		return 1
	}
	L.Push(glua.LNil)
	return 1
}

// recover resumes the dependent and runs on_recovery(cp, dep).
func (lc *checkpointRef) recover(s *lua.State, a *lua.ArgChecker, self *glua.LUserData, d *state.DepState) {
	if lc.dependent != nil {
		lc.dependent.Resume()
	}
	if lc.onRecovery != nil {
		_, err := s.CallValues(lc.onRecovery, 0, self, depTable(s, d))
		a.Check(err)
	}
}

// cp:dep(name) -> {name=, checkpoint_time=, checkpoint_state=, down=}
func checkpointDep(s *lua.State, L *glua.LState) int {
	lc, _ := checkCheckpoint(L, "dep")
	a := lua.Args(L, "checkpoint:dep")
	d, err := lc.c.Dep(a.OptString(2, "name", ""))
	a.Check(err)
	L.Push(depTable(s, d))
	return 1
}

// depTable is what callbacks receive as dep.
func depTable(s *lua.State, d *state.DepState) *glua.LTable {
	t := s.L.CreateTable(0, 4)
	t.RawSetString("name", glua.LString(d.Name))
	if !d.CheckpointTime.IsZero() {
		t.RawSetString("checkpoint_time", glua.LNumber(float64(d.CheckpointTime.UnixNano())/1e9))
	}
	if d.CheckpointState != nil {
		st := s.L.CreateTable(0, len(d.CheckpointState))
		for k, v := range d.CheckpointState {
			st.RawSetString(k, s.ToLua(v))
		}
		t.RawSetString("checkpoint_state", st)
	}
	t.RawSetString("down", glua.LBool(d.Down))
	return t
}

// toStateMap turns a converted Lua table into the checkpoint's state map.
// Keys become strings: partition numbers are "0", "1", ... (topic:seek
// accepts them as they are).
func toStateMap(v any) map[string]any {
	out := map[string]any{}
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			out[strconv.Itoa(i+1)] = e
		}
	case value.Object:
		for _, m := range x {
			out[m.Key] = m.Value
		}
	case value.Table:
		for _, e := range x {
			out[codec.KeyString(e.Key)] = e.Value
		}
	}
	return out
}
