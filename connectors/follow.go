package connectors

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/streamctl/streamctl/clock"
)

// followReader is an io.Reader over a path that behaves like tail -F: at EOF
// it blocks, polling the path, until data is appended, the file is truncated
// or rotated, or ctx is done (then Read returns ctx.Err()). It never returns
// io.EOF, so a codec decoder on top holds a partial last line until it is
// completed. Used by one goroutine (FileSource.Run); not safe for concurrent use.
type followReader struct {
	ctx   context.Context
	path  string
	poll  time.Duration
	clock clock.Clock // polls wait on it
	gate  *gate       // waited on before each read and poll
	// start positions the file open at the first try and returns its
	// offset (the stored position, or the end for from = "end").
	start func(*os.File, os.FileInfo) (int64, error)
	segs  *fileOffsets // told where each file's bytes start in the stream
	total int64        // bytes returned by Read

	f      *os.File    // the file being read; nil until it exists
	fi     os.FileInfo // f's identity, for os.SameFile
	off    int64       // bytes read from f
	next   *os.File    // the file now at path after a rotation, read once f is drained
	nextFi os.FileInfo
	tried  bool // the first open was attempted
}

// Read implements io.Reader.
func (r *followReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if err := r.gate.wait(r.ctx); err != nil {
			return 0, err
		}
		if err := r.ctx.Err(); err != nil {
			return 0, err
		}
		if r.f == nil {
			ok, err := r.open()
			if err != nil {
				return 0, err
			}
			if !ok {
				if err := r.clock.Sleep(r.ctx, r.poll); err != nil {
					return 0, err
				}
				continue
			}
		}
		n, err := r.f.Read(p)
		r.off += int64(n)
		r.total += int64(n)
		if n > 0 {
			return n, nil
		}
		if err != nil && err != io.EOF {
			return 0, err
		}
		switched, err := r.atEOF()
		if err != nil {
			return 0, err
		}
		if switched {
			continue
		}
		if err := r.clock.Sleep(r.ctx, r.poll); err != nil {
			return 0, err
		}
	}
}

// open opens path into f. It reports false when the file does not exist yet.
// Only the file present at the first attempt is positioned by r.start; a
// file created later is new data and read from the start.
func (r *followReader) open() (bool, error) {
	first := !r.tried
	r.tried = true
	f, fi, err := openStat(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	r.f, r.fi, r.off = f, fi, 0
	if first && r.start != nil {
		off, err := r.start(f, fi)
		if err != nil {
			return false, err
		}
		r.off = off
	}
	r.switched()
	return true, nil
}

// switched records that the bytes Read returns next are those of f from
// r.off on.
func (r *followReader) switched() {
	if r.segs != nil {
		r.segs.switchTo(r.total, fileIDOf(r.fi), r.off)
	}
}

// atEOF runs when f returned EOF. It switches to the rotated file once f is
// drained, rewinds f after a truncation, or notices a rotation (then f is read
// once more to EOF before the switch). It reports whether to read again now
// instead of waiting a poll interval.
func (r *followReader) atEOF() (bool, error) {
	if r.next != nil { // f was drained after the rotation was noticed
		r.f.Close()
		r.f, r.fi, r.off = r.next, r.nextFi, 0
		r.next, r.nextFi = nil, nil
		r.switched()
		return true, nil
	}
	cur, err := r.f.Stat()
	if err != nil {
		return false, err
	}
	if cur.Size() < r.off { // truncated
		if _, err := r.f.Seek(0, io.SeekStart); err != nil {
			return false, err
		}
		r.off = 0
		r.switched()
		return true, nil
	}
	st, err := os.Stat(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // renamed away, not recreated yet: keep the old file
	}
	if err != nil {
		return false, err
	}
	if os.SameFile(st, r.fi) {
		return false, nil
	}
	f, fi, err := openStat(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // gone again between Stat and Open
	}
	if err != nil {
		return false, err
	}
	r.next, r.nextFi = f, fi
	return true, nil // drain f: it may have grown before the rotation
}

// close closes the open files.
func (r *followReader) close() {
	if r.f != nil {
		r.f.Close()
	}
	if r.next != nil {
		r.next.Close()
	}
}

// openStat opens path and stats the opened file, so the identity is that of
// what was opened even if path changes meanwhile.
func openStat(path string) (*os.File, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}
