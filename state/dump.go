package state

import (
	"bufio"
	"io"
	"strings"

	"github.com/streamctl/streamctl/value"
)

// Dumps
//
// Export and Import move whole caches and collector states in and out of a
// Store as text, one record per line: {"cache": NAME, "key": KEY, "value":
// VALUE}, with no key for the value of "state/NAME". They are `streamctl
// state dump` and `streamctl state load`. The record format is given by the
// caller (the JSON codec, in the CLI): state holds no format of its own.

// Format writes and reads one record of a dump. The JSON codec
// (codec.Lookup("json")) is one.
type Format interface {
	// Marshal appends the encoding of v to dst, without a line end.
	Marshal(dst []byte, v any) ([]byte, error)
	// Unmarshal decodes one record.
	Unmarshal(data []byte) (any, error)
}

// Export writes the entries of the caches and states called names (every
// one of Names when there are none) to w in f, one record per line, each
// cache in key order (see Dump). Each line is written to w as it is made.
func (s *Store) Export(w io.Writer, f Format, names ...string) error {
	if len(names) == 0 {
		var err error
		if names, err = s.Names(); err != nil {
			return err
		}
	}
	var line []byte
	for _, name := range names {
		err := s.Dump(name, func(k, v any) error {
			var err error
			line, err = f.Marshal(line[:0], value.Object{{Key: "cache", Value: name}, {Key: "key", Value: k}, {Key: "value", Value: v}})
			if err != nil {
				return err
			}
			_, err = w.Write(append(line, '\n'))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Import reads records in Export's form from r and writes them into their
// caches and states (see LoadDump), each run of consecutive records of one
// cache as one load. Empty lines are skipped. A record that does not decode
// or lacks a field stops the import with an *ImportError.
func (s *Store) Import(r io.Reader, f Format) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	line := 0
	type rec struct {
		cache      string
		key, value any
	}
	var pending *rec
	next := func() (*rec, error) {
		for sc.Scan() {
			line++
			if len(sc.Bytes()) == 0 {
				continue
			}
			v, err := f.Unmarshal(sc.Bytes())
			if err != nil {
				return nil, &ImportError{Line: line, Err: err}
			}
			obj, ok := v.(value.Object)
			name, _ := obj.Get("cache")
			cname, isStr := name.(string)
			key, hasKey := obj.Get("key")
			val, hasValue := obj.Get("value")
			isState := strings.HasPrefix(cname, statePrefix) // saved state has no key
			if !ok || !isStr || !hasValue || (!hasKey && !isState) {
				return nil, &ImportError{Line: line, Err: errRecordShape}
			}
			return &rec{cname, key, val}, nil
		}
		return nil, sc.Err()
	}
	for {
		if pending == nil {
			var err error
			if pending, err = next(); err != nil || pending == nil {
				return err
			}
		}
		name := pending.cache
		err := s.LoadDump(name, func() (any, any, error) {
			if pending == nil || pending.cache != name {
				return nil, nil, io.EOF
			}
			r := pending
			var err error
			if pending, err = next(); err != nil {
				return nil, nil, err
			}
			return r.key, r.value, nil
		})
		if err != nil {
			return err
		}
	}
}
