package codec

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"

	"github.com/hamba/avro/v2"

	"github.com/streamctl/streamctl/value"
)

// avroAPI lets strings and bytes be as long as a text line (the library's
// default cap is 1 MiB).
// Frozen on first use, not at start-up.
var avroAPI = sync.OnceValue(func() avro.API { return avro.Config{MaxByteSliceSize: MaxLineSize}.Freeze() })

// maxAvroItems bounds the elements of one Avro array or map, so that a block
// count in corrupt input cannot make the decoder loop or allocate for long.
const maxAvroItems = 1 << 24

// avroCodec is "avro" with one schema.
type avroCodec struct {
	schema avro.Schema
}

// NewAvro returns the Avro codec for schema, which is either the schema's
// JSON text (it starts with '{', '[' or '"' after white space) or the path
// of an .avsc file. Errors: `avro: read schema FILE: ...`, `avro: parse
// schema: ...`. The codec reads and writes plain binary datums, without the
// object container format or a Kafka schema registry header. Records decode
// to Objects in the schema's field order, unions to their branch's value,
// enums to their symbol, bytes and fixed to []byte, int and long to int64,
// float and double to float64, logical types to their underlying type.
// NewAvro is safe for concurrent use and so is the codec.
func NewAvro(schema string) (Codec, error) {
	text := strings.TrimLeft(schema, " \t\r\n")
	if text == "" || !strings.ContainsAny(text[:1], `{["`) {
		b, err := os.ReadFile(schema)
		if err != nil {
			return nil, fmt.Errorf("avro: read schema %s: %w", schema, err)
		}
		text = string(b)
	}
	s, err := avro.ParseWithCache(text, "", &avro.SchemaCache{})
	if err != nil {
		return nil, fmt.Errorf("avro: parse schema: %w", err)
	}
	return &avroCodec{schema: s}, nil
}

// Name returns "avro".
func (c *avroCodec) Name() string { return "avro" }

// NewDecoder returns a decoder of concatenated binary datums; pos counts
// datums from 1. Raw is not available (nil). Corrupt or truncated input gives
// a *DecodeError without Resync (`invalid Avro: ...`), then io.EOF.
func (c *avroCodec) NewDecoder(r io.Reader) Decoder {
	return &avroDecoder{schema: c.schema, r: avro.NewReader(r, readBufSize, avro.WithReaderConfig(avroAPI()))}
}

// NewEncoder returns an encoder writing each record as one binary datum.
// Records take Objects or map[string]any (missing fields use the schema
// default); numbers convert when they fit (an integral float64 fits a long).
func (c *avroCodec) NewEncoder(w io.Writer) Encoder {
	return &avroEncoder{schema: c.schema, bw: bufWriter{w: w},
		w: avro.NewWriter(nil, 512, avro.WithWriterConfig(avroAPI()))}
}

// Unmarshal decodes one binary datum; trailing bytes are an error.
func (c *avroCodec) Unmarshal(data []byte) (any, error) {
	r := avro.NewReader(nil, 0, avro.WithReaderConfig(avroAPI())).Reset(data)
	v, err := avroRead(r, c.schema, 0)
	if err != nil {
		return nil, err
	}
	if r.Peek(); r.Error == nil {
		return nil, errors.New("invalid Avro: bytes after the datum")
	}
	return v, nil
}

// Marshal appends v as one binary datum.
func (c *avroCodec) Marshal(dst []byte, v any) ([]byte, error) {
	w := avro.NewWriter(nil, 512, avro.WithWriterConfig(avroAPI()))
	if err := avroWrite(w, c.schema, v, 0); err != nil {
		return dst, err
	}
	return append(dst, w.Buffer()...), nil
}

type avroDecoder struct {
	schema avro.Schema
	r      *avro.Reader
	n      int64
	done   bool
}

func (d *avroDecoder) Decode() (any, []byte, int64, error) {
	if d.done {
		return nil, nil, 0, io.EOF
	}
	if d.r.Peek(); d.r.Error != nil {
		d.done = true
		return nil, nil, 0, d.r.Error
	}
	d.n++
	v, err := avroRead(d.r, d.schema, 0)
	if err != nil {
		d.done = true
		return nil, nil, d.n, &DecodeError{Pos: d.n, Err: err}
	}
	return v, nil, d.n, nil
}

// avroError words a reader failure as `invalid Avro: ...`.
func avroError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid Avro: unexpected end of input")
	}
	return errors.New("invalid Avro: " + truncate(strings.TrimPrefix(err.Error(), "avro: "), 200))
}

func resolve(s avro.Schema) avro.Schema {
	for {
		ref, ok := s.(*avro.RefSchema)
		if !ok {
			return s
		}
		s = ref.Schema()
	}
}

// avroRead reads one value of schema s.
func avroRead(r *avro.Reader, s avro.Schema, depth int) (any, error) {
	if depth >= maxDecodeDepth {
		return nil, fmt.Errorf("invalid Avro: values nested deeper than %d", maxDecodeDepth)
	}
	var v any
	switch s := resolve(s).(type) {
	case *avro.RecordSchema:
		fields := s.Fields()
		obj := make(value.Object, len(fields))
		for i, f := range fields {
			fv, err := avroRead(r, f.Type(), depth+1)
			if err != nil {
				return nil, err
			}
			obj[i] = value.Member{Key: f.Name(), Value: fv}
		}
		return obj, nil
	case *avro.EnumSchema:
		i := r.ReadInt()
		if r.Error != nil {
			return nil, avroError(r.Error)
		}
		sym, ok := s.Symbol(int(i))
		if !ok {
			return nil, fmt.Errorf("invalid Avro: enum index %d out of range", i)
		}
		return sym, nil
	case *avro.ArraySchema:
		out := []any{}
		for {
			n, _ := r.ReadBlockHeader()
			if r.Error != nil {
				return nil, avroError(r.Error)
			}
			if n == 0 {
				return out, nil
			}
			if n < 0 || n > maxAvroItems-int64(len(out)) {
				return nil, errors.New("invalid Avro: array too long")
			}
			for range n {
				e, err := avroRead(r, s.Items(), depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, e)
			}
		}
	case *avro.MapSchema:
		out := value.Object{}
		for {
			n, _ := r.ReadBlockHeader()
			if r.Error != nil {
				return nil, avroError(r.Error)
			}
			if n == 0 {
				return dedupe(out), nil
			}
			if n < 0 || n > maxAvroItems-int64(len(out)) {
				return nil, errors.New("invalid Avro: map too long")
			}
			for range n {
				k := r.ReadString()
				if r.Error != nil {
					return nil, avroError(r.Error)
				}
				e, err := avroRead(r, s.Values(), depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, value.Member{Key: k, Value: e})
			}
		}
	case *avro.UnionSchema:
		i := r.ReadLong()
		if r.Error != nil {
			return nil, avroError(r.Error)
		}
		types := s.Types()
		if i < 0 || i >= int64(len(types)) {
			return nil, fmt.Errorf("invalid Avro: union index %d out of range", i)
		}
		return avroRead(r, types[i], depth+1)
	case *avro.NullSchema:
		return nil, nil
	case *avro.FixedSchema:
		b := make([]byte, s.Size())
		r.Read(b)
		v = b
	case *avro.PrimitiveSchema:
		switch s.Type() {
		case avro.Null:
			return nil, nil
		case avro.Boolean:
			v = r.ReadBool()
		case avro.Int:
			v = int64(r.ReadInt())
		case avro.Long:
			v = r.ReadLong()
		case avro.Float:
			v = float64(r.ReadFloat())
		case avro.Double:
			v = r.ReadDouble()
		case avro.String:
			v = r.ReadString()
		case avro.Bytes:
			v = r.ReadBytes()
		default:
			return nil, fmt.Errorf("invalid Avro: unsupported type %s", s.Type())
		}
	default:
		return nil, fmt.Errorf("invalid Avro: unsupported schema %T", s)
	}
	if r.Error != nil {
		return nil, avroError(r.Error)
	}
	return v, nil
}

type avroEncoder struct {
	schema avro.Schema
	bw     bufWriter
	w      *avro.Writer // scratch for one datum
}

func (e *avroEncoder) Encode(v any) error {
	if e.bw.err != nil {
		return e.bw.err
	}
	e.w.Reset(nil)
	if err := avroWrite(e.w, e.schema, v, 0); err != nil {
		return err
	}
	e.bw.buf = append(e.bw.buf, e.w.Buffer()...)
	return e.bw.maybeFlush()
}

func (e *avroEncoder) Flush() error { return e.bw.flush() }

// avroWrite writes v as a value of schema s.
func avroWrite(w *avro.Writer, s avro.Schema, v any, depth int) error {
	if depth >= maxEncodeDepth {
		return fmt.Errorf("avro: cannot encode values nested deeper than %d", maxEncodeDepth)
	}
	s = resolve(s)
	switch s := s.(type) {
	case *avro.RecordSchema:
		for _, f := range s.Fields() {
			fv, ok := lookupKey(v, f.Name())
			if !ok {
				if !isMapLike(v) {
					return fmt.Errorf("avro: cannot encode %T as record %s", v, s.FullName())
				}
				if !f.HasDefault() {
					return fmt.Errorf("avro: record %s: missing field %q", s.FullName(), f.Name())
				}
				fv = f.Default()
			}
			if err := avroWrite(w, f.Type(), fv, depth+1); err != nil {
				return fmt.Errorf("field %q: %w", f.Name(), err)
			}
		}
		return nil
	case *avro.EnumSchema:
		str, ok := v.(string)
		if ok {
			for i, sym := range s.Symbols() {
				if sym == str {
					w.WriteInt(int32(i))
					return nil
				}
			}
		}
		return fmt.Errorf("avro: %s is not a symbol of enum %s", describe(v), s.FullName())
	case *avro.ArraySchema:
		a, ok := v.([]any)
		if !ok {
			return fmt.Errorf("avro: cannot encode %T as array", v)
		}
		if len(a) > 0 {
			w.WriteBlockHeader(int64(len(a)), 0)
			for _, e := range a {
				if err := avroWrite(w, s.Items(), e, depth+1); err != nil {
					return err
				}
			}
		}
		w.WriteBlockHeader(0, 0)
		return nil
	case *avro.MapSchema:
		var err error
		n := 0
		switch m := v.(type) {
		case value.Object:
			n = len(m)
			if n > 0 {
				w.WriteBlockHeader(int64(n), 0)
			}
			for _, mem := range m {
				w.WriteString(mem.Key)
				if err = avroWrite(w, s.Values(), mem.Value, depth+1); err != nil {
					return err
				}
			}
		case map[string]any:
			n = len(m)
			if n > 0 {
				w.WriteBlockHeader(int64(n), 0)
			}
			for _, k := range sortedKeys(m) {
				w.WriteString(k)
				if err = avroWrite(w, s.Values(), m[k], depth+1); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("avro: cannot encode %T as map", v)
		}
		w.WriteBlockHeader(0, 0)
		return nil
	case *avro.UnionSchema:
		for _, strict := range []bool{true, false} {
			for i, t := range s.Types() {
				if avroMatches(t, v, strict) {
					w.WriteLong(int64(i))
					return avroWrite(w, t, v, depth+1)
				}
			}
		}
		return fmt.Errorf("avro: %s matches no branch of union %s", describe(v), s.String())
	case *avro.FixedSchema:
		b, ok := asBytes(v)
		if !ok || len(b) != s.Size() {
			return fmt.Errorf("avro: cannot encode %s as fixed %s of size %d", describe(v), s.FullName(), s.Size())
		}
		_, _ = w.Write(b)
		return nil
	case *avro.NullSchema:
		return avroWritePrimitive(w, avro.Null, v)
	case *avro.PrimitiveSchema:
		return avroWritePrimitive(w, s.Type(), v)
	}
	return fmt.Errorf("avro: unsupported schema %T", s)
}

func avroWritePrimitive(w *avro.Writer, t avro.Type, v any) error {
	switch t {
	case avro.Null:
		if v == nil {
			return nil
		}
	case avro.Boolean:
		if b, ok := v.(bool); ok {
			w.WriteBool(b)
			return nil
		}
	case avro.Int:
		if n, ok := toInt64(v); ok && n >= math.MinInt32 && n <= math.MaxInt32 {
			w.WriteInt(int32(n))
			return nil
		}
	case avro.Long:
		if n, ok := toInt64(v); ok {
			w.WriteLong(n)
			return nil
		}
	case avro.Float:
		if f, ok := toFloat64(v); ok {
			w.WriteFloat(float32(f))
			return nil
		}
	case avro.Double:
		if f, ok := toFloat64(v); ok {
			w.WriteDouble(f)
			return nil
		}
	case avro.String:
		switch x := v.(type) {
		case string:
			w.WriteString(x)
			return nil
		case []byte:
			w.WriteBytes(x)
			return nil
		}
	case avro.Bytes:
		if b, ok := asBytes(v); ok {
			w.WriteBytes(b)
			return nil
		}
	default:
		return fmt.Errorf("avro: unsupported type %s", t)
	}
	return fmt.Errorf("avro: cannot encode %s as %s", describe(v), t)
}

// avroMatches reports whether v can be written as s; strict matching only
// accepts the Go types s decodes to, so unions pick the most natural branch.
func avroMatches(s avro.Schema, v any, strict bool) bool {
	s = resolve(s)
	switch s := s.(type) {
	case *avro.RecordSchema, *avro.MapSchema:
		return isMapLike(v)
	case *avro.ArraySchema:
		_, ok := v.([]any)
		return ok
	case *avro.EnumSchema:
		str, ok := v.(string)
		if !ok {
			return false
		}
		for _, sym := range s.Symbols() {
			if sym == str {
				return true
			}
		}
		return false
	case *avro.FixedSchema:
		b, ok := asBytes(v)
		return ok && len(b) == s.Size()
	case *avro.NullSchema:
		return v == nil
	case *avro.PrimitiveSchema:
		switch s.Type() {
		case avro.Null:
			return v == nil
		case avro.Boolean:
			_, ok := v.(bool)
			return ok
		case avro.Int, avro.Long:
			if strict && !isGoInteger(v) {
				return false
			}
			n, ok := toInt64(v)
			return ok && (s.Type() == avro.Long || n >= math.MinInt32 && n <= math.MaxInt32)
		case avro.Float, avro.Double:
			if strict {
				switch v.(type) {
				case float64, float32:
					return true
				}
				return false
			}
			_, ok := toFloat64(v)
			return ok
		case avro.String:
			if _, ok := v.(string); ok {
				return true
			}
			_, ok := v.([]byte)
			return ok && !strict
		case avro.Bytes:
			if _, ok := v.([]byte); ok {
				return true
			}
			_, ok := v.(string)
			return ok && !strict
		}
	}
	return false
}

func isMapLike(v any) bool {
	switch v.(type) {
	case value.Object, map[string]any:
		return true
	}
	return false
}

func lookupKey(v any, key string) (any, bool) {
	switch m := v.(type) {
	case value.Object:
		return m.Get(key)
	case map[string]any:
		x, ok := m[key]
		return x, ok
	}
	return nil, false
}

func asBytes(v any) ([]byte, bool) {
	switch x := v.(type) {
	case []byte:
		return x, true
	case string:
		return []byte(x), true
	}
	return nil, false
}

func isGoInteger(v any) bool {
	switch v.(type) {
	case int64, int, int32, int16, int8, uint64, uint, uint32, uint16, uint8, value.Number:
		return true
	}
	return false
}

// toInt64 converts integers and integral floats that fit an int64.
func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	case uint:
		return int64(x), uint64(x) <= math.MaxInt64
	case uint32:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint8:
		return int64(x), true
	case float64:
		return int64(x), isIntegral(x)
	case float32:
		return int64(x), isIntegral(float64(x))
	case value.Number:
		return x.Int64()
	}
	return 0, false
}

func toFloat64(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	}
	if n, ok := toInt64(v); ok {
		return float64(n), true
	}
	switch x := v.(type) {
	case uint64:
		return float64(x), true
	case value.Number:
		return x.Float64(), true
	}
	return 0, false
}

// describe names a value for error messages: its type, and short strings.
func describe(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("string %q", truncate(s, 40))
	}
	return fmt.Sprintf("%T", v)
}
