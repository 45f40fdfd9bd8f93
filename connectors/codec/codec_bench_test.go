package codec

import (
	"bytes"
	"testing"
)

// The access-log records of benchInput (1000 of them) in every codec:
// stream decoding and encoding, and per-message Unmarshal/Marshal (what a
// Kafka value or an SSE data field goes through). MB/s is of the codec's
// own encoding of the records.
//
//	go test -run '^$' -bench . ./connectors/codec/

const benchAvroSchema = `{"type": "record", "name": "Access", "fields": [
  {"name": "ts", "type": "string"}, {"name": "user", "type": "string"},
  {"name": "status", "type": "long"}, {"name": "path", "type": "string"},
  {"name": "bytes", "type": "long"}]}`

func benchCodec(b *testing.B, name string) Codec {
	b.Helper()
	if name == "avro" {
		c, err := NewAvro(benchAvroSchema)
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	return mustLookup(b, name)
}

// benchRecords returns the records and their stream encoding in codec c.
func benchRecords(b *testing.B, c Codec) ([]any, []byte) {
	b.Helper()
	var recs []any
	for _, r := range decodeAll(b, mustLookup(b, "json"), benchInput()) {
		recs = append(recs, r.v)
	}
	var buf bytes.Buffer
	e := c.NewEncoder(&buf)
	for _, v := range recs {
		if err := e.Encode(v); err != nil {
			b.Fatal(err)
		}
	}
	if err := e.Flush(); err != nil {
		b.Fatal(err)
	}
	return recs, buf.Bytes()
}

func benchDecode(b *testing.B, name string) {
	c := benchCodec(b, name)
	recs, in := benchRecords(b, c)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		d := c.NewDecoder(bytes.NewReader(in))
		n := 0
		for {
			_, _, _, err := d.Decode()
			if err != nil {
				break
			}
			n++
		}
		if n != len(recs) {
			b.Fatalf("%d records, want %d", n, len(recs))
		}
	}
}

func benchEncode(b *testing.B, name string) {
	c := benchCodec(b, name)
	recs, in := benchRecords(b, c)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		e := c.NewEncoder(discard{})
		for _, v := range recs {
			if err := e.Encode(v); err != nil {
				b.Fatal(err)
			}
		}
		if err := e.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}

// benchMessages: Marshal then Unmarshal every record as one message.
func benchMessages(b *testing.B, name string) {
	c := benchCodec(b, name)
	recs, _ := benchRecords(b, c)
	var msgs [][]byte
	size := 0
	for _, v := range recs {
		m, err := c.Marshal(nil, v)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, m)
		size += len(m)
	}
	b.Run("Marshal", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		var dst []byte
		for b.Loop() {
			for _, v := range recs {
				var err error
				if dst, err = c.Marshal(dst[:0], v); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("Unmarshal", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			for _, m := range msgs {
				if _, err := c.Unmarshal(m); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

func BenchmarkTextDecode(b *testing.B)    { benchDecode(b, "text") }
func BenchmarkCSVDecode(b *testing.B)     { benchDecode(b, "csv") }
func BenchmarkCSVEncode(b *testing.B)     { benchEncode(b, "csv") }
func BenchmarkMsgpackDecode(b *testing.B) { benchDecode(b, "msgpack") }
func BenchmarkMsgpackEncode(b *testing.B) { benchEncode(b, "msgpack") }
func BenchmarkAvroDecode(b *testing.B)    { benchDecode(b, "avro") }
func BenchmarkAvroEncode(b *testing.B)    { benchEncode(b, "avro") }

func BenchmarkJSONMessages(b *testing.B)    { benchMessages(b, "json") }
func BenchmarkMsgpackMessages(b *testing.B) { benchMessages(b, "msgpack") }
func BenchmarkAvroMessages(b *testing.B)    { benchMessages(b, "avro") }
