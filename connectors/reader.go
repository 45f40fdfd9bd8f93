package connectors

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/streamctl/streamctl/connectors/codec"
)

// ReaderSource decodes records from an io.Reader with a codec. It backs
// stdin (see NewStdin) and is the decoding loop of the file and exec sources.
//
// Each decoded value becomes Record{Value, Source: Name, Pos}; Raw is left nil
// for good records. A value the codec cannot decode (a *codec.DecodeError)
// becomes a Record with Err set to a *BadInputError and Raw holding a copy of
// the undecoded bytes; it is emitted like any other record so the handler's
// on_error policy decides what happens. When the codec cannot resynchronise
// after the error (DecodeError.Resync is false), Run stops after emitting it
// and returns nil.
//
// The fields are read by Run and must not change while it runs. The field
// Name shadows the Named interface, so use NameOf to get a display name for
// any source or sink.
type ReaderSource struct {
	// Name is the source name put in Record.Source and in errors ("stdin").
	Name string
	// R is the input. Run does not close it.
	R io.Reader
	// Codec decodes R; required.
	Codec codec.Codec
}

// Run decodes R until EOF (returns nil), ctx is done (returns ctx.Err()), emit
// fails (returns its error unchanged) or R fails (returns "read NAME: cause").
// It blocks in R.Read and starts no goroutines. ctx is checked between records:
// a Read that blocks (an idle terminal or pipe on stdin) cannot be interrupted,
// so Run returns only once that Read returns or R is closed by the caller.
func (s *ReaderSource) Run(ctx context.Context, emit func(context.Context, Record) error) error {
	if s.Codec == nil {
		return fmt.Errorf("read %s: no codec", s.Name)
	}
	_, err := decodeLoop(ctx, s.Codec.NewDecoder(s.R), s.Name, nil, nil, emit, func(err error) error {
		return fmt.Errorf("read %s: %w", s.Name, err)
	})
	return err
}

// resumeFrom says where a decoding loop resumes: the number of records
// before the first one it reads (added to record numbers) and how many
// records to skip first (codecs that cannot seek by offset). The reader sets
// it when it opens its input, at the latest during the first Decode.
type resumeFrom struct {
	base, skip int64
}

// decodeLoop emits every record dec produces. It returns eof = true when the
// input ended (io.EOF), false when it stopped after a bad record the codec
// cannot resynchronise from (err nil) or on an error. Read errors go through
// wrap, unless ctx is done: then ctx.Err() is returned as is. When g is non-nil,
// the loop waits while it is paused before each record. Records carry the
// end offset the decoder reports (codec.Offsetter); from, when non-nil,
// shifts record numbers and skips records of a resumed input.
func decodeLoop(ctx context.Context, dec codec.Decoder, source string, g *gate, from *resumeFrom,
	emit func(context.Context, Record) error, wrap func(error) error) (eof bool, err error) {
	offs, _ := dec.(codec.Offsetter)
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if g != nil {
			if err := g.wait(ctx); err != nil {
				return false, err
			}
		}
		v, raw, pos, err := dec.Decode()
		var end int64
		if offs != nil {
			end = offs.Offset()
		}
		var base int64
		if from != nil && err != io.EOF {
			if from.skip > 0 {
				from.skip--
				continue
			}
			base = from.base
		}
		var de *codec.DecodeError
		switch {
		case err == nil:
			if err := emit(ctx, Record{Value: v, Source: source, Pos: base + pos, End: end}); err != nil {
				return false, err
			}
		case errors.As(err, &de):
			if pos == 0 {
				pos = de.Pos
			}
			pos += base
			rec := Record{
				Source: source,
				Pos:    pos,
				End:    end,
				Raw:    append([]byte(nil), raw...),
				Err:    &BadInputError{Source: source, Pos: pos, Err: de},
			}
			if err := emit(ctx, rec); err != nil {
				return false, err
			}
			if !de.Resync {
				return false, nil
			}
		case err == io.EOF:
			return true, nil
		default:
			if cerr := ctx.Err(); cerr != nil {
				return false, cerr
			}
			return false, wrap(err)
		}
	}
}

var _ Source = (*ReaderSource)(nil)
