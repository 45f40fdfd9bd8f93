package connectors

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// fileID is the identity of a file: its device and inode.
type fileID struct {
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"ino"`
}

// filePosition is the position of a FileSource stored with the state: the
// file being read (its identity), the bytes of it consumed through the
// last record handed over, and how many records came before (so record
// numbers go on). Off is -1 for codecs that cannot tell where a record
// ends in the input: such a file resumes by skipping Line records.
type filePosition struct {
	fileID
	Off  int64 `json:"off"`
	Line int64 `json:"line"`
}

// segment says that the decoded byte stream from offset stream on comes
// from the file id, starting at offset file in it.
type segment struct {
	stream int64
	id     fileID
	file   int64
}

// fileOffsets maps offsets of the byte stream a FileSource decodes to the
// files they were read from, across truncations and rotations, and keeps
// the position of the last record handed over. Safe for concurrent use.
type fileOffsets struct {
	mu      sync.Mutex
	segs    []segment // ascending stream offsets
	end     int64     // stream offset after the last record handed over
	line    int64     // its record number
	offsets bool      // the codec reports offsets (codec.Offsetter)
	started bool      // a record was handed over since the position was restored
	stored  *filePosition
}

// switchTo records that stream offset stream on comes from id at file.
func (o *fileOffsets) switchTo(stream int64, id fileID, file int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.segs = append(o.segs, segment{stream: stream, id: id, file: file})
}

// emitted records the end and number of a record handed over.
func (o *fileOffsets) emitted(end, line int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.end, o.line, o.started = end, line, true
}

// position returns the position after the last record handed over, nil
// when there is none yet.
func (o *fileOffsets) position() *filePosition {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.started {
		return o.stored
	}
	if !o.offsets {
		var id fileID
		if len(o.segs) > 0 {
			id = o.segs[len(o.segs)-1].id
		}
		return &filePosition{fileID: id, Off: -1, Line: o.line}
	}
	// The last segment starting at or before end; older ones are done.
	i := len(o.segs) - 1
	for i > 0 && o.segs[i].stream > o.end {
		i--
	}
	if i < 0 {
		return o.stored
	}
	o.segs = o.segs[i:]
	s := o.segs[0]
	return &filePosition{fileID: s.id, Off: s.file + o.end - s.stream, Line: o.line}
}

// PositionKey implements Positioned: "file:" and the absolute path.
func (s *FileSource) PositionKey() string {
	abs, err := filepath.Abs(s.cfg.Path)
	if err != nil {
		abs = s.cfg.Path
	}
	return "file:" + abs
}

// Restore implements Positioned: Run starts after the record of pos when
// the file at the path is the one pos was taken from (same identity) and
// holds at least that many bytes; otherwise it is a different file, read
// from its start. From applies only where no position is stored. Call it
// before Run.
func (s *FileSource) Restore(pos []byte, _ func(context.Context) error) error {
	s.pos.mu.Lock()
	defer s.pos.mu.Unlock()
	s.positioned = true
	if len(pos) == 0 {
		return nil
	}
	var p filePosition
	if err := json.Unmarshal(pos, &p); err != nil || p.Line < 0 || p.Off < -1 {
		return fmt.Errorf("file %s: stored position %q is not one", s.cfg.Path, pos)
	}
	s.pos.stored = &p
	return nil
}

// Emitted implements Positioned.
func (s *FileSource) Emitted(rec *Record) { s.pos.emitted(rec.End, rec.Pos) }

// Position implements Positioned: JSON {"dev", "ino", "off", "line"}.
func (s *FileSource) Position() ([]byte, error) {
	p := s.pos.position()
	if p == nil {
		return nil, nil
	}
	return json.Marshal(p)
}

// Committed implements Positioned; a file has nothing to acknowledge.
func (s *FileSource) Committed(context.Context, []byte) error { return nil }

// resumeAt checks the stored position against the file just opened, whose
// identity is fi: it returns where to start reading (offset and records to
// skip when offsets are unknown) and the record number to go on from, and
// ok false when the position does not apply (another file, or a shorter one).
func (s *FileSource) resumeAt(fi os.FileInfo) (off, skip, line int64, ok bool) {
	s.pos.mu.Lock()
	p := s.pos.stored
	s.pos.mu.Unlock()
	if p == nil || fileIDOf(fi) != p.fileID || fi.Size() < p.Off {
		return 0, 0, 0, false
	}
	if p.Off < 0 {
		return 0, p.Line, 0, true
	}
	return p.Off, 0, p.Line, true
}

var _ Positioned = (*FileSource)(nil)
