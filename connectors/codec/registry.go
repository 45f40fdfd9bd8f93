package codec

import (
	"fmt"
	"strings"
)

// names lists the built-in codecs Lookup knows, sorted.
var names = []string{"bytes", "csv", "json", "msgpack", "text"}

// Lookup returns the built-in codec called name: "text", "json", "csv",
// "bytes" or "msgpack". Avro needs a schema and is built with NewAvro. An
// unknown name gives `unknown codec "xml" (known: bytes, csv, json, msgpack,
// text)`, which wraps ErrUnknownCodec. The returned codecs are immutable and
// safe for concurrent use; Lookup itself is too.
func Lookup(name string) (Codec, error) {
	switch name {
	case "text":
		return textCodec{}, nil
	case "json":
		return jsonCodec{}, nil
	case "csv":
		return csvCodec{}, nil
	case "bytes":
		return bytesCodec{}, nil
	case "msgpack":
		return msgpackCodec{}, nil
	}
	return nil, &unknownCodecError{name: name}
}

// Names returns the names Lookup knows, sorted, in a new slice the caller may
// modify. It is safe for concurrent use.
func Names() []string {
	return append([]string(nil), names...)
}

type unknownCodecError struct{ name string }

func (e *unknownCodecError) Error() string {
	return fmt.Sprintf("unknown codec %q (known: %s)", e.name, strings.Join(names, ", "))
}

func (e *unknownCodecError) Unwrap() error { return ErrUnknownCodec }
