package bindings

import (
	"fmt"
	"math"
	"strings"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/clock"
	"github.com/streamctl/streamctl/lua"
)

// timeModule provides time.now, time.parse and time.format. Times are Unix
// seconds as floats; layouts are strftime ("%Y-%m-%d %H:%M:%S").
type timeModule struct {
	clock clock.Clock // time.now reads it
}

func (timeModule) Name() string { return "time" }

func (m timeModule) Open(s *lua.State) error {
	L := s.L
	L.SetGlobal("time", L.SetFuncs(L.NewTable(), map[string]glua.LGFunction{
		"now": timeNow(m.clock),
		"parse": func(L *glua.LState) int {
			a := lua.Args(L, "time.parse")
			text := a.String(1, "text")
			layout := a.OptString(2, "layout", "")
			t, err := parseTime(text, layout)
			a.Check(err)
			L.Push(glua.LNumber(float64(t.UnixNano()) / 1e9))
			return 1
		},
		"format": func(L *glua.LState) int {
			a := lua.Args(L, "time.format")
			secs := a.Number(1, "t")
			layout := a.OptString(2, "layout", "")
			L.Push(glua.LString(formatTime(secs, layout)))
			return 1
		},
	}))
	return nil
}

// timeNow makes time.now(): the clock's time in Unix seconds. The pipe
// module's dedupe and throttle read the clock with it.
func timeNow(clk clock.Clock) glua.LGFunction {
	return func(L *glua.LState) int {
		L.Push(glua.LNumber(float64(clk.Now().UnixNano()) / 1e9))
		return 1
	}
}

// unixTime converts float seconds to a UTC time.
func unixTime(secs float64) time.Time {
	whole, frac := math.Modf(secs)
	return time.Unix(int64(whole), int64(math.Round(frac*1e9))).UTC()
}

func formatTime(secs float64, layout string) string {
	t := unixTime(secs)
	if layout == "" {
		return t.Format(time.RFC3339Nano)
	}
	return t.Format(strftimeLayout(layout))
}

var defaultParseLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05Z07:00", "2006-01-02"}

func parseTime(text, layout string) (time.Time, error) {
	if layout != "" {
		t, err := time.Parse(strftimeLayout(layout), text)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q does not match layout %q", text, layout)
		}
		return t, nil
	}
	for _, l := range defaultParseLayouts {
		if t, err := time.Parse(l, text); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not RFC 3339 or YYYY-MM-DD HH:MM:SS[.fff]; give a layout", text)
}

// strftimeLayout translates a strftime layout to Go's reference layout.
func strftimeLayout(f string) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			b.WriteString("2006")
		case 'y':
			b.WriteString("06")
		case 'm':
			b.WriteString("01")
		case 'd':
			b.WriteString("02")
		case 'e':
			b.WriteString("_2")
		case 'H':
			b.WriteString("15")
		case 'I':
			b.WriteString("03")
		case 'M':
			b.WriteString("04")
		case 'S':
			b.WriteString("05")
		case 'f':
			b.WriteString("000000")
		case 'p':
			b.WriteString("PM")
		case 'b', 'h':
			b.WriteString("Jan")
		case 'B':
			b.WriteString("January")
		case 'a':
			b.WriteString("Mon")
		case 'A':
			b.WriteString("Monday")
		case 'j':
			b.WriteString("002")
		case 'z':
			b.WriteString("-0700")
		case 'Z':
			b.WriteString("MST")
		case 'T':
			b.WriteString("15:04:05")
		case 'F':
			b.WriteString("2006-01-02")
		case 'D':
			b.WriteString("01/02/06")
		case 'R':
			b.WriteString("15:04")
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(f[i])
		}
	}
	return b.String()
}
