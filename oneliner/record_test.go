package oneliner

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// recordLines are JSON lines whose members change between records: the
// order, the set, repeated and escaped names, values that are not written
// as they are read, records that are not objects.
var recordLines = strings.Join([]string{
	`{"a":1,"b":"x","s":"q"}`,
	`{"a":2,"b":"y","s":"r"}`,
	`{"b":3,"a":4,"s":"t"}`,
	`{"a":5}`,
	`{"a":6,"b":"\u00e9\/","s":"u"}`,
	`{"a":7,"a":8,"s":"v"}`,
	`{"\u0061":9,"s":"w"}`,
	`[1,2]`,
	`"str"`,
	`{"a":1.50,"c":-0,"d":[1, 2],"e":{"f" : 1},"g":null,"h":true,"i":false,"id":12345678901234567890,"s":"x"}`,
	`{"a":1.50,"c":-0,"d":[1, 2],"e":{"f" : 1},"g":null,"h":true,"i":false,"id":12345678901234567890,"s":"x"}`,
	`{"a":10,"b":"z","s":"y","x":1}`,
	`{"a":11,"b":"z","s":"y","x":1}`,
	`{"a":12,"b":"\xed\xa0\x80","s":"y","x":1}`,
	`{}`,
	`{"a":13}`,
	`{"a":14,"b":"z","s":"y","x":1}`,
}, "\n") + "\n"

// TestRecordReuse runs code that refills one table for `_` (record.go) and
// the same code with a fresh table per record: the outputs must be the
// same, byte for byte.
func TestRecordReuse(t *testing.T) {
	for _, tt := range []struct {
		name, expr string
		reused     bool
	}{
		{"return", `_`, true},
		{"modify", `if _.a then _.a = _.a + 1 end return _`, true},
		{"modify string", `_.s = (_.s or "") .. "!" return _`, true},
		{"add a field", `_.n = 1 return _`, true},
		{"add two fields", `if _.a and _.a % 2 == 0 then _.p = 1 end _.q = 2 if _.a and _.a % 2 == 1 then _.p = 3 end return _`, true},
		{"delete", `_.b = nil return _`, true},
		{"delete and add back", `_.b = nil _.s = nil _.b = 1 return _`, true},
		{"same number, other sign", `if _.c then _.c = -0.0 end return _`, true},
		{"constant index", `if _["a"] then return _ end`, true},
		{"read then write", `_.a = _.a return _`, true},
		{"nested table", `if type(_.e) == "table" then _.e.f = 2 end return _`, true},
		{"fields read", `return _.a, _.s`, true},
		{"emit", `emit(_) return _`, false},
		{"stored", `last = _ return last`, false},
		{"computed write", `local k = "a" _[k] = 1 return _`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, workers := range []int{1, 2} {
				opts := Options{Expr: tt.expr, InCodec: "json", Workers: workers, ChunkLines: 3}
				reused, err1 := runRecordPipe(t, opts, true)
				fresh, err2 := runRecordPipe(t, opts, false)
				if (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
					t.Fatalf("errors differ: reused %v, fresh %v", err1, err2)
				}
				if reused != fresh {
					t.Fatalf("-w %d: reused table wrote\n%s\nfresh tables\n%s", workers, reused, fresh)
				}
			}
			p, err := New(Options{Expr: tt.expr, InCodec: "json"})
			if err != nil {
				t.Fatal(err)
			}
			if p.progs.reuseRecord != tt.reused {
				t.Fatalf("reuseRecord = %v, want %v", p.progs.reuseRecord, tt.reused)
			}
		})
	}
}

func runRecordPipe(t *testing.T, opts Options, reuse bool) (string, error) {
	t.Helper()
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	p.progs.reuseRecord = p.progs.reuseRecord && reuse
	var out bytes.Buffer
	err = p.Run(context.Background(), strings.NewReader(recordLines), &out)
	return out.String(), err
}

// TestRecordFieldWritten: a field read after the code changed it has its
// new value (a read is not taken from the record as it came in).
func TestRecordFieldWritten(t *testing.T) {
	got, err := runPipe(t, Options{Expr: `_.bytes = _.bytes + 1 return _.bytes`, InCodec: "json"}, "{\"bytes\":5}\n")
	if err != nil || got != "6\n" {
		t.Fatalf("got %q, %v; want \"6\\n\"", got, err)
	}
	got, err = runPipe(t, Options{Expr: `(function(t) t.n = 2 end)(_) return _.n`, InCodec: "json"}, "{\"n\":1}\n")
	if err != nil || got != "2\n" {
		t.Fatalf("got %q, %v; want \"2\\n\"", got, err)
	}
}

// TestRecordReuseKeyOrder pins the order of members in a written record
// across records whose members differ, and that an unchanged value is
// written as it is encoded, not as it was read.
func TestRecordReuseKeyOrder(t *testing.T) {
	in := "{\"a\":1,\"b\":2.50}\n{\"a\":1,\"b\":2.50}\n{\"b\":1,\"a\":2}\n{\"a\":3}\n"
	got, err := runPipe(t, Options{Expr: `_.c = 0 _.a = nil _.a = 9 return _`, InCodec: "json"}, in)
	want := "{\"a\":9,\"b\":2.5,\"c\":0}\n{\"a\":9,\"b\":2.5,\"c\":0}\n{\"b\":1,\"a\":9,\"c\":0}\n{\"a\":9,\"c\":0}\n"
	if err != nil || got != want {
		t.Fatalf("got\n%s(%v)\nwant\n%s", got, err, want)
	}
}
