package codec

import (
	"errors"
	"slices"
	"testing"
)

func TestLookup(t *testing.T) {
	for _, name := range []string{"text", "json", "csv", "bytes", "msgpack"} {
		t.Run(name, func(t *testing.T) {
			c, err := Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			if c.Name() != name {
				t.Fatalf("Name() = %q, want %q", c.Name(), name)
			}
		})
	}
	for _, tt := range []struct{ name, want string }{
		{"xml", `unknown codec "xml" (known: bytes, csv, json, msgpack, text)`},
		{"", `unknown codec "" (known: bytes, csv, json, msgpack, text)`},
		{"avro", `unknown codec "avro" (known: bytes, csv, json, msgpack, text)`},
	} {
		t.Run("unknown "+tt.name, func(t *testing.T) {
			_, err := Lookup(tt.name)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v, want %s", err, tt.want)
			}
			if !errors.Is(err, ErrUnknownCodec) {
				t.Fatal("error does not wrap ErrUnknownCodec")
			}
		})
	}
}

func TestNames(t *testing.T) {
	got := Names()
	want := []string{"bytes", "csv", "json", "msgpack", "text"}
	if !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	got[0] = "changed"
	if Names()[0] != "bytes" {
		t.Fatal("Names returned its own slice")
	}
}
