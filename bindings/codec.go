package bindings

import (
	"fmt"
	"strings"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/lua"
)

const codecType = "streamctl.codec"

// codecModule provides avro{schema=}, the one codec built from options.
// Codecs are otherwise named by string ("json") or given as a Lua table
// {encode=, decode=}.
type codecModule struct{}

func (codecModule) Name() string { return "codec" }

func (codecModule) Open(s *lua.State) error {
	L := s.L
	mt := L.NewTypeMetatable(codecType)
	L.SetField(mt, "__name", glua.LString("codec"))
	L.SetField(mt, "__tostring", L.NewFunction(func(L *glua.LState) int {
		c := L.CheckUserData(1).Value.(codec.Codec)
		L.Push(glua.LString("codec: " + c.Name()))
		return 1
	}))
	L.SetGlobal("avro", L.NewFunction(func(L *glua.LState) int {
		a := lua.Args(L, "avro")
		o := a.Options(1, "schema")
		schema := o.String("schema", "")
		if schema == "" {
			a.Raise("schema must be a schema (JSON text or a .avsc path), got nil")
		}
		c, err := codec.NewAvro(schema)
		a.Check(err)
		ud := L.NewUserData()
		ud.Value = c
		ud.Metatable = mt
		L.Push(ud)
		return 1
	}))
	return nil
}

// luaCodec is a codec written in Lua: {encode = fn, decode = fn}. Records are
// framed as text lines (one encoded string per line).
type luaCodec struct {
	encode, decode *glua.LFunction
}

// codecOption reads opts.codec: a codec name, avro{...}, or a Lua table
// {encode=, decode=}. A Lua codec is returned separately: the Go side then
// frames records as lines and the handler's state runs decode/encode.
func codecOption(a *lua.ArgChecker, o *lua.OptionTable, def string) (codec.Codec, *luaCodec) {
	return codecOptionNamed(a, o, "codec", def)
}

// codecOptionNamed is codecOption for the option named field (key_codec).
func codecOptionNamed(a *lua.ArgChecker, o *lua.OptionTable, field, def string) (codec.Codec, *luaCodec) {
	switch v := o.Get(field).(type) {
	case *glua.LNilType:
		c, err := codec.Lookup(def)
		a.Check(err)
		return c, nil
	case glua.LString:
		c, err := codec.Lookup(string(v))
		if err != nil {
			a.Raise("%s: %v", field, err)
		}
		return c, nil
	case *glua.LUserData:
		if c, ok := v.Value.(codec.Codec); ok {
			return c, nil
		}
	case *glua.LTable:
		lc := &luaCodec{}
		lc.encode, _ = v.RawGetString("encode").(*glua.LFunction)
		lc.decode, _ = v.RawGetString("decode").(*glua.LFunction)
		if lc.encode == nil && lc.decode == nil {
			a.Raise("codec table needs encode and/or decode functions")
		}
		text, _ := codec.Lookup("text")
		return text, lc
	}
	a.Raise("%s must be one of %s, avro{schema=...} or a table {encode=, decode=}, got %s",
		field, quoteList(codec.Names()), lua.TypeName(o.Get(field)))
	return nil, nil
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
