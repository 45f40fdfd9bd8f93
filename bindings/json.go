package bindings

import (
	"github.com/valyala/fastjson"
	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/lua"
)

// jsonModule provides json.encode, json.decode, json.null and json.array
// (the lua-cjson conventions of api.md section 3).
type jsonModule struct{}

func (jsonModule) Name() string { return "json" }

func (jsonModule) Open(s *lua.State) error {
	L := s.L
	var parser fastjson.Parser
	var buf []byte
	mod := L.SetFuncs(L.NewTable(), map[string]glua.LGFunction{
		"encode": func(L *glua.LState) int {
			a := lua.Args(L, "json.encode")
			if L.GetTop() < 1 {
				a.Raise("value expected")
			}
			var err error
			buf, err = s.AppendJSON(buf[:0], L.Get(1))
			a.Check(err)
			L.Push(glua.LString(buf))
			return 1
		},
		"decode": func(L *glua.LState) int {
			a := lua.Args(L, "json.decode")
			text := a.String(1, "text")
			v, err := codec.ParseJSON(&parser, []byte(text))
			a.Check(err)
			if v.Type() == fastjson.TypeNull {
				// lua-cjson: a top-level null is json.null too (FromJSON
				// gives nil there, for records).
				L.Push(s.Null)
				return 1
			}
			L.Push(s.FromJSON(v))
			return 1
		},
		"array": jsonArray(s),
	})
	mod.RawSetString("null", s.Null)
	L.SetGlobal("json", mod)
	return nil
}

// jsonArray makes json.array(t) for state s: it marks t (or a new table) as
// a JSON array. The pipe module's pairwise and batch mark their lists with it.
func jsonArray(s *lua.State) glua.LGFunction {
	return func(L *glua.LState) int {
		var t *glua.LTable
		switch v := L.Get(1).(type) {
		case *glua.LTable:
			t = v
		case *glua.LNilType:
			t = L.NewTable()
		default:
			lua.Args(L, "json.array").Raise("t must be a table, got %s", lua.TypeName(v))
		}
		t.Metatable = s.ArrayMT
		L.Push(t)
		return 1
	}
}
