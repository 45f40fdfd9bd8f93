package oneliner

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestFieldParams runs code whose fields may be passed as parameters
// (params.go) twice, with and without them: the outputs must be the same,
// and the parameters are used exactly where the conditions allow.
func TestFieldParams(t *testing.T) {
	in := strings.Join([]string{
		`{"status":503,"bytes":2048,"user":"a","id":9007199254740993}`,
		`{"status":200,"user":"b"}`,
		`[1,2]`,
		`{"status":500,"bytes":10,"math":"m"}`,
		`7`,
		`{"status":"x","bytes":"y"}`,
	}, "\n") + "\n"
	for _, tt := range []struct {
		name, begin, expr, end string
		params                 []string
	}{
		{"filter", "", `status >= 500`, "", []string{"status"}},
		{"reshape", "", `{user = user, kb = math.floor((bytes or 0) / 1024)}`, "", []string{"bytes", "math", "user"}},
		{"record fields", "", `_.status == 200 and _.user`, "", []string{"_.status", "_.user"}},
		{"a field named like a global", "", `type(math)`, "", []string{"math", "type"}},
		{"long integer", "", `id`, "", []string{"id"}},
		{"assigned", "", `bytes = (bytes or 0) + 1 return bytes`, "", nil},
		{"read by begin", `function big() return (bytes or 0) > 1000 end`, `big()`, "", nil},
		{"read by end", "", `status == 200`, `print(status)`, nil},
		{"print", "", `print(status) return user`, "", []string{"print", "status", "user"}},
		{"defines a function", "", `(function() return status end)()`, "", nil},
		{"whole record", "", `_.status == 200 and _`, "", nil},
		{"environment", "", `_G.status`, "", nil},
		{"counts in a global", `n = 0`, `n = n + 1 return status`, `print(n)`, []string{"status"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, workers := range []int{1, 2} {
				if (tt.end != "" || tt.begin != "" || tt.name == "assigned") && workers > 1 {
					continue // globals are per worker, which worker gets which records is timing
				}
				opts := Options{Begin: tt.begin, Expr: tt.expr, End: tt.end, InCodec: "json", Workers: workers, ChunkLines: 2}
				with, params, err1 := runParams(t, opts, in, true)
				without, _, err2 := runParams(t, opts, in, false)
				if (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
					t.Fatalf("errors differ: %v, %v", err1, err2)
				}
				if with != without {
					t.Fatalf("-w %d: with parameters\n%s\nwith globals\n%s", workers, with, without)
				}
				if strings.Join(params, ",") != strings.Join(tt.params, ",") {
					t.Fatalf("parameters %q, want %q", params, tt.params)
				}
			}
		})
	}
}

func runParams(t *testing.T, opts Options, in string, params bool) (string, []string, error) {
	t.Helper()
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if !params {
		p.paramsPlanned = true
	}
	var out bytes.Buffer
	err = p.Run(context.Background(), strings.NewReader(in), &out)
	var names []string
	if p.params != nil {
		names = p.params.params
	}
	return out.String(), names, err
}
