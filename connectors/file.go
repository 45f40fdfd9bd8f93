package connectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/streamctl/streamctl/clock"
	"github.com/streamctl/streamctl/connectors/codec"
)

// FileConfig is the file source's configuration: the Lua table of
// file{path=, codec=, follow=, from=}.
type FileConfig struct {
	// Path is the file to read; required.
	Path string
	// Codec decodes the file; required.
	Codec codec.Codec
	// Follow keeps reading as the file grows, like tail -F; default false
	// (read once, EOF ends the source).
	Follow bool
	// From is where reading starts: "start" (the default when empty) or "end"
	// (only what is appended after Run starts; needs Follow). "end" applies to
	// the file present when Run starts: a file that appears later, or replaces
	// it on rotation, is read from its start.
	From string
}

// withDefaults returns c with its defaults filled in.
func (c FileConfig) withDefaults() FileConfig {
	if c.From == "" {
		c.From = "start"
	}
	return c
}

// validate checks c after withDefaults.
func (c FileConfig) validate() error {
	switch {
	case c.Path == "":
		return errors.New("file: path must be set")
	case c.Codec == nil:
		return errors.New("file: codec must be set")
	case c.From != "start" && c.From != "end":
		return fmt.Errorf("file: from must be \"start\" or \"end\", got %q", c.From)
	case c.From == "end" && !c.Follow:
		return errors.New("file: from = \"end\" needs follow = true (nothing would be read)")
	}
	return nil
}

// FileSource reads records from a file, once or following it like tail -F.
// Record.Source is "file:" + path; Pos counts records from 1 across the whole
// run, including truncations and rotations.
//
// Without Follow, Run reads the file to EOF; a missing file is an error
// ("file app.log: open app.log: no such file or directory").
//
// With Follow, Run never ends on its own (only ctx, emit or an I/O error stop
// it). Every poll interval at EOF it checks the path:
//  1. A missing file is waited for; once it appears it is read from the start.
//  2. Truncation (the file is now shorter than what was read) restarts at
//     offset 0. As with tail, a truncation followed by a rewrite past the old
//     size within one poll interval is not noticed.
//  3. Rotation (the path names a different file, e.g. after rename + create)
//     finishes the old file to EOF, then reads the new one from the start. A
//     rename with no new file yet keeps reading the old file.
//
// A partial last line stays in the codec's buffer until it is completed; the
// bytes read so far of a line cut by a truncation or a rotation are joined
// with what follows, because framing belongs to the codec.
//
// FileSource implements Pauser: Pause and Resume may be called from any
// goroutine; while paused Run reads nothing and emits at most the record it
// was decoding, and keeps its position.
type FileSource struct {
	cfg  FileConfig
	opts fileOpts
	gate gate

	// Positions (Positioned, fileposition.go).
	pos        fileOffsets
	positioned bool // Restore was called
}

// NewFileSource validates cfg and returns the source. It does not open the
// file: Run does, so a followed file may appear later.
func NewFileSource(cfg FileConfig, opts ...FileOpt) (*FileSource, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &FileSource{cfg: cfg, opts: fileOpts{poll: DefaultPollInterval}}
	for _, o := range opts {
		o.apply(&s.opts)
	}
	return s, nil
}

// Name returns "file:" + path.
func (s *FileSource) Name() string { return "file:" + s.cfg.Path }

// Pause stops reading at the next record boundary, keeping the position.
// Safe for concurrent use; a no-op when already paused.
func (s *FileSource) Pause() { s.gate.pause() }

// Resume continues after Pause. Safe for concurrent use.
func (s *FileSource) Resume() { s.gate.unpause() }

// Run reads the file and emits its records. Without Follow it returns nil at
// EOF; with Follow it returns only when ctx is done (ctx.Err()), emit fails
// (its error) or the file cannot be read ("file PATH: cause"). A record the
// codec cannot decode is emitted with Err set (see ReaderSource). Run blocks,
// polling at EOF when following; it starts no goroutines.
//
// After Restore with a position of an earlier run, Run starts after the last
// record of that position when the file at the path is the same file (see
// Restore); record numbers go on from there.
func (s *FileSource) Run(ctx context.Context, emit func(context.Context, Record) error) error {
	wrap := func(err error) error { return fmt.Errorf("file %s: %w", s.cfg.Path, err) }
	from := &resumeFrom{}
	// start decides where the file first opened is read from.
	start := func(f *os.File, fi os.FileInfo) (int64, error) {
		off, skip, line, ok := s.resumeAt(fi)
		if !ok {
			if s.cfg.From == "end" && s.pos.stored == nil {
				return f.Seek(0, io.SeekEnd)
			}
			return 0, nil
		}
		from.base, from.skip = line, skip
		if off > 0 {
			return f.Seek(off, io.SeekStart)
		}
		return 0, nil
	}
	var r io.Reader
	if s.cfg.Follow {
		fr := &followReader{
			ctx:   ctx,
			path:  s.cfg.Path,
			poll:  s.opts.poll,
			clock: clock.Or(s.opts.clock),
			gate:  &s.gate,
			start: start,
			segs:  &s.pos,
		}
		defer fr.close()
		r = fr
	} else {
		f, fi, err := openStat(s.cfg.Path)
		if err != nil {
			return wrap(err)
		}
		defer f.Close()
		off, err := start(f, fi)
		if err != nil {
			return wrap(err)
		}
		s.pos.switchTo(0, fileIDOf(fi), off)
		r = f
	}
	dec := s.cfg.Codec.NewDecoder(r)
	_, offsets := dec.(codec.Offsetter)
	s.pos.mu.Lock()
	s.pos.offsets = offsets
	s.pos.mu.Unlock()
	_, err := decodeLoop(ctx, dec, s.Name(), &s.gate, from, emit, wrap)
	return err
}

var (
	_ Source = (*FileSource)(nil)
	_ Pauser = (*FileSource)(nil)
	_ Named  = (*FileSource)(nil)
)
