package state

import (
	"bufio"
	"io"
)

// Dumps
//
// Export and Import move whole caches and collector states in and out of a
// Store as text, one dump line per entry (see "Dump lines" in dumpline.go):
// {"cache": NAME, "key": KEY, "value": VALUE[, "expires": TIME]}, with a
// null (or no) key for the value of "state/NAME". They are `streamctl state
// dump` and `streamctl state load`, and a dump is a lossless backup. The
// JSON syntax is given by the caller (the JSON codec, in the CLI): state
// imports no codec.

// Format writes and reads the JSON of one dump line. The JSON codec
// (codec.Lookup("json")) is one. State hands Marshal a tree of nil, bool,
// int64, value.Number, strings that are valid UTF-8, []any and
// value.Object, and reads back what Unmarshal makes of the text.
type Format interface {
	// Marshal appends v as compact JSON to dst, without a line end:
	// value.Object members in order and value.Number as its text, which
	// is a float's exact JSON text ("3.0", "-0.0", "1e+21") as well as an
	// integer's digits.
	Marshal(dst []byte, v any) ([]byte, error)
	// Unmarshal decodes one JSON document strictly: objects as
	// value.Object, arrays as []any, integers as int64 (value.Number
	// beyond int64), other numbers as float64. Its error says what is
	// wrong, on one line.
	Unmarshal(data []byte) (any, error)
}

// Reader is what `streamctl state ls|get|dump` read: a *Store of a
// directory no job holds, or, while a job holds it, the job's last commit
// read through it (package live).
type Reader interface {
	// Names lists the caches and states (see Store.Names).
	Names() ([]string, error)
	// CheckExists reports a name that does not exist (see
	// Store.CheckExists).
	CheckExists(name string) error
	// Dump calls fn with each entry of a cache or state (see Store.Dump).
	Dump(name string, fn func(DumpLine) error) error
	// Get returns the value at key of the cache name, or the value saved
	// as "state/NAME" (key ignored); ok false when absent.
	Get(name string, key any) (v any, ok bool, err error)
}

// Export writes the entries of the caches and states called names (every
// one of s.Names when there are none) to w, one dump line each, each cache
// in key order (see Store.Dump). Each line is written to w as it is made. A
// value outside the data model is an error wrapping ErrBadValue.
func (s *Store) Export(w io.Writer, f Format, names ...string) error {
	return Export(s, w, f, names...)
}

// Export is Store.Export for any Reader.
func Export(r Reader, w io.Writer, f Format, names ...string) error {
	if len(names) == 0 {
		var err error
		if names, err = r.Names(); err != nil {
			return err
		}
	}
	var line []byte
	for _, name := range names {
		err := r.Dump(name, func(l DumpLine) error {
			var err error
			if line, err = appendDumpLine(line[:0], f, l); err != nil {
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

// Get implements Reader: the value at key of the cache name, or the value
// saved as "state/NAME"; nothing is created (CheckExists first).
func (s *Store) Get(name string, key any) (any, bool, error) {
	kind, bare, err := splitName(name)
	if err != nil {
		return nil, false, err
	}
	if err := s.CheckExists(name); err != nil {
		return nil, false, err
	}
	if kind == "state" {
		return s.Load(bare)
	}
	if ok, err := s.isPartitioned(bare); err != nil || ok {
		if err != nil {
			return nil, false, err
		}
		return s.getShards(bare, key)
	}
	c, err := s.acquire(bare, false)
	if err != nil {
		return nil, false, err
	}
	v, ok, err := c.Get(key)
	return v, ok, withClose(err, c.Close())
}

var _ Reader = (*Store)(nil)

// Import reads dump lines from r and writes them into their caches and
// states (see LoadDump), each run of consecutive lines of one cache as one
// load, with their expiry times. Empty lines are skipped. A line that does
// not decode, lacks a field or holds a bad escape stops the import with an
// *ImportError.
func (s *Store) Import(r io.Reader, f Format) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	line := 0
	var pending *DumpLine
	next := func() (*DumpLine, error) {
		for sc.Scan() {
			line++
			if len(sc.Bytes()) == 0 {
				continue
			}
			l, err := parseDumpLine(f, sc.Bytes())
			if err != nil {
				return nil, &ImportError{Line: line, Err: err}
			}
			return &l, nil
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
		name := pending.Cache
		err := s.LoadDump(name, func() (DumpLine, error) {
			if pending == nil || pending.Cache != name {
				return DumpLine{}, io.EOF
			}
			l := pending
			var err error
			if pending, err = next(); err != nil {
				return DumpLine{}, err
			}
			return *l, nil
		})
		if err != nil {
			return err
		}
	}
}
