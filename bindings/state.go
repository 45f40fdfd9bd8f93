package bindings

import (
	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/lua"
)

// stateModule provides state.load and state.save for collectors that run
// from cron: load at start, save after each unit of progress (api.md 5).
type stateModule struct{ store *stateStore }

func (*stateModule) Name() string { return "state" }

func (m *stateModule) Open(s *lua.State) error {
	L := s.L
	L.SetGlobal("state", L.SetFuncs(L.NewTable(), map[string]glua.LGFunction{
		"load": func(L *glua.LState) int {
			a := lua.Args(L, "state.load")
			name := a.String(1, "name")
			st, err := m.store.open(s)
			a.Check(err)
			v, ok, err := st.Load(name)
			a.Check(err)
			if !ok {
				def := L.Get(2)
				if def == glua.LNil {
					def = L.NewTable()
				}
				L.Push(def)
				return 1
			}
			L.Push(s.ToLua(v))
			return 1
		},
		"save": func(L *glua.LState) int {
			a := lua.Args(L, "state.save")
			name := a.String(1, "name")
			t := a.Table(2, "tbl")
			v, err := s.FromLua(t)
			a.Check(err)
			st, err := m.store.open(s)
			a.Check(err)
			// In a handler of a positioned source the save is committed
			// with the source's position; elsewhere it is durable when it
			// returns (the collector contract, api.md section 5).
			if s.PositionedHandler(L) {
				a.Check(st.SaveDeferred(name, v))
				return 0
			}
			beforeWrite(s, a)
			a.Check(st.Save(name, v))
			return 0
		},
	}))
	return nil
}
