package bindings

import (
	"context"
	"log"
	"log/slog"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/lua"
)

// logModule provides log.debug/info/warn/error(msg [, fields]) on the run's
// slog logger (stderr; --log-format, --log-level).
type logModule struct {
	logger *slog.Logger // nil: the run's logger, or stderr outside a run
}

func (*logModule) Name() string { return "log" }

func (m *logModule) Open(s *lua.State) error {
	L := s.L
	logger := m.logger
	if logger == nil {
		if rt := s.Runtime(); rt != nil {
			logger = rt.Logger()
		} else {
			logger = slog.New(slog.NewTextHandler(log.Writer(), nil))
		}
	}
	level := func(name string, lv slog.Level) glua.LGFunction {
		fn := "log." + name
		return func(L *glua.LState) int {
			a := lua.Args(L, fn)
			msg := L.ToStringMeta(L.Get(1)).String()
			if !logger.Enabled(context.Background(), lv) {
				return 0
			}
			var attrs []slog.Attr
			if L.Get(2) != glua.LNil {
				t := a.Table(2, "fields")
				lua.ForEachOrdered(t, func(k, v glua.LValue) {
					gv, err := s.FromLua(v)
					if err != nil {
						gv = v.String()
					}
					attrs = append(attrs, slog.Any(k.String(), gv))
				})
			}
			logger.LogAttrs(context.Background(), lv, msg, attrs...)
			return 0
		}
	}
	L.SetGlobal("log", L.SetFuncs(L.NewTable(), map[string]glua.LGFunction{
		"debug": level("debug", slog.LevelDebug),
		"info":  level("info", slog.LevelInfo),
		"warn":  level("warn", slog.LevelWarn),
		"error": level("error", slog.LevelError),
	}))
	return nil
}
