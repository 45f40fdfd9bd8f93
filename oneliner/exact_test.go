package oneliner

import (
	"testing"

	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/value"
)

// TestPipeLongIntegers: integers beyond 2^53 keep their digits when the
// record, or the field, passes through unchanged, including two that the
// same float64 holds; computed values are written as the float64 they are.
func TestPipeLongIntegers(t *testing.T) {
	in := `{"id":9007199254740993,"prev":9007199254740992,"big":12345678901234567890,"a":[-9007199254740995],"x":1.5}` + "\n" +
		"12345678901234567890\n" +
		`{"id":9007199254740993}` + "\n"
	for _, tt := range []struct {
		name, expr, out, want string
	}{
		{"whole record", "_", "", `{"id":9007199254740993,"prev":9007199254740992,"big":12345678901234567890,"a":[-9007199254740995],"x":1.5}` + "\n" +
			"12345678901234567890\n" + `{"id":9007199254740993}` + "\n"},
		{"whole record as JSON", "_", "json", `{"id":9007199254740993,"prev":9007199254740992,"big":12345678901234567890,"a":[-9007199254740995],"x":1.5}` + "\n" +
			"12345678901234567890\n" + `{"id":9007199254740993}` + "\n"},
		// Out of its place, a number is known by its value; the first record
		// has two that one float64 holds, so there it is written as that.
		{"a field", "type(_) == 'table' and _.id", "", "9007199254740992\n9007199254740993\n"},
		{"fields into a new table", "type(_) == 'table' and {id = _.id, big = _.big}", "",
			`{"id":9007199254740992,"big":12345678901234567890}` + "\n" + `{"id":9007199254740993}` + "\n"},
		// Only the fields the expression reads are decoded: no ambiguity.
		{"global fields", "id and {id = id}", "", `{"id":9007199254740993}` + "\n" + `{"id":9007199254740993}` + "\n"},
		{"changed values are floats", "type(_) == 'table' and {id = _.id + 4, big = _.big and _.big * 2}", "",
			`{"id":9007199254740996,"big":24691357802469134000}` + "\n" + `{"id":9007199254740996}` + "\n"},
		{"a field changed in place", "if type(_) == 'table' then _.id = _.id + 4 return _ end", "",
			`{"id":9007199254740996,"prev":9007199254740992,"big":12345678901234567890,"a":[-9007199254740995],"x":1.5}` + "\n" + `{"id":9007199254740996}` + "\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, workers := range []int{1, 2} {
				got, err := runPipe(t, Options{Expr: tt.expr, InCodec: "json", OutCodec: tt.out, Workers: workers, ChunkLines: 1}, in)
				if err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Errorf("w=%d:\n got %s\nwant %s", workers, got, tt.want)
				}
			}
		})
	}
}

// TestPipeLongIntegersFromMsgpack: with a codec other than JSON, fields
// bound as globals keep their digits too.
func TestPipeLongIntegersFromMsgpack(t *testing.T) {
	c, err := codec.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}
	in, err := c.Marshal(nil, value.Object{{Key: "id", Value: int64(9007199254740993)}, {Key: "n", Value: int64(1)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, expr := range []string{"{id = id}", "{id = _.id}"} {
		got, err := runPipe(t, Options{Expr: expr, InCodec: "msgpack", Workers: 1}, string(in))
		if err != nil || got != `{"id":9007199254740993}`+"\n" {
			t.Errorf("%s: %q (%v)", expr, got, err)
		}
	}
}
