package connectors

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/streamctl/streamctl/connectors/codec"
)

// FileSinkConfig is the file sink's configuration: the Lua table of
// file{path=, codec=, append=}. Start from DefaultFileSinkConfig: the zero
// value of Append is false, which truncates.
type FileSinkConfig struct {
	// Path is the file to write; required. Its directory must exist.
	Path string
	// Codec encodes record values; required.
	Codec codec.Codec
	// Append adds to an existing file (O_APPEND); false truncates it when the
	// sink is opened. Default true (DefaultFileSinkConfig, and Lua's append=true).
	Append bool
}

// DefaultFileSinkConfig returns the defaults for a file sink at path: Append
// true.
func DefaultFileSinkConfig(path string, c codec.Codec) FileSinkConfig {
	return FileSinkConfig{Path: path, Codec: c, Append: true}
}

// validate checks c.
func (c FileSinkConfig) validate() error {
	switch {
	case c.Path == "":
		return errors.New("file: path must be set")
	case c.Codec == nil:
		return errors.New("file: codec must be set")
	}
	return nil
}

// FileSink writes encoded record values to a file through a 64 KiB buffer.
// Flush hands buffered data to the OS (no fsync); Close flushes and closes the
// file. Not safe for concurrent use: wrap it with Locked.
type FileSink struct {
	cfg    FileSinkConfig
	f      *os.File
	be     *bufferedEncoder
	closed bool
}

// NewFileSink validates cfg and opens (creating with mode 0644) the file,
// appending or truncating. Parent directories are not created: a missing one
// is an error naming the path ("file out/x.log: open out/x.log: no such file
// or directory").
func NewFileSink(cfg FileSinkConfig) (*FileSink, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	flag := os.O_WRONLY | os.O_CREATE
	if cfg.Append {
		flag |= os.O_APPEND
	} else {
		flag |= os.O_TRUNC
	}
	f, err := os.OpenFile(cfg.Path, flag, 0o644)
	if err != nil {
		return nil, fmt.Errorf("file %s: %w", cfg.Path, err)
	}
	return &FileSink{cfg: cfg, f: f, be: newBufferedEncoder(f, cfg.Codec)}, nil
}

// Name returns "file:" + path.
func (s *FileSink) Name() string { return "file:" + s.cfg.Path }

// Write encodes r.Value into the buffer; it reaches the file on Flush, Close
// or when the buffer fills. After Close it returns ErrClosed.
func (s *FileSink) Write(ctx context.Context, r Record) error {
	if s.closed {
		return ErrClosed
	}
	if err := s.be.encode(r.Value); err != nil {
		return fmt.Errorf("file %s: %w", s.cfg.Path, err)
	}
	return nil
}

// Flush writes buffered records to the file (to the OS, without fsync).
func (s *FileSink) Flush(ctx context.Context) error {
	if s.closed {
		return nil
	}
	if err := s.be.flush(); err != nil {
		return fmt.Errorf("file %s: %w", s.cfg.Path, err)
	}
	return nil
}

// Close flushes and closes the file. It is safe on a nil *FileSink (a failed
// NewFileSink) and when called again (returns nil).
func (s *FileSink) Close(ctx context.Context) error {
	if s == nil || s.closed {
		return nil
	}
	ferr := s.Flush(ctx)
	s.closed = true
	if err := s.f.Close(); err != nil {
		cerr := fmt.Errorf("file %s: %w", s.cfg.Path, err)
		if ferr != nil {
			return fmt.Errorf("%w; additionally, close: %v", ferr, cerr)
		}
		return cerr
	}
	return ferr
}

var (
	_ Sink  = (*FileSink)(nil)
	_ Named = (*FileSink)(nil)
)
