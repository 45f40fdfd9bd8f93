package lua_test

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"testing"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/lua"
)

// keyedSource emits n records shaped like a Kafka topic's: a 100-byte
// value, a string key, meta topic, partition, offset and headers (in
// Record.Fields, as the Kafka source has them), an Ack.
type keyedSource struct {
	n     int
	acked atomic.Int64
}

func (s *keyedSource) Run(ctx context.Context, emit func(context.Context, connectors.Record) error) error {
	value := make([]byte, 100)
	noHeaders := map[string]any{}
	ack := func(error) { s.acked.Add(1) }
	for i := 0; i < s.n; i++ {
		rec := connectors.Record{Value: append([]byte(nil), value...), Key: fmt.Sprint("k", i%64), Source: "kafka:in",
			Pos: int64(i), Ack: ack, Fields: &keyedMeta{partition: int32(i % 3), offset: int64(i), headers: noHeaders}}
		if err := emit(ctx, rec); err != nil {
			return err
		}
	}
	return nil
}

// keyedMeta is the metadata of a keyedSource record, as the Kafka
// source's.
type keyedMeta struct {
	partition int32
	offset    int64
	headers   map[string]any
}

func (m *keyedMeta) MetaField(k string) (any, bool) {
	switch k {
	case "topic":
		return "in", true
	case "partition":
		return int64(m.partition), true
	case "offset":
		return m.offset, true
	case "headers":
		return m.headers, true
	}
	return nil, false
}

func (m *keyedMeta) MetaKeys(dst []string) []string {
	return append(dst, "headers", "offset", "partition", "topic")
}

func (s *keyedSource) LuaSource(*lua.State) (connectors.Source, *glua.LFunction, error) {
	return s, nil, nil
}

// copySink encodes what it gets as a producer would (the value's bytes)
// and acks each write at once.
type copySink struct{ n atomic.Int64 }

func (s *copySink) AcksWrites() bool { return true }
func (s *copySink) Write(_ context.Context, r connectors.Record) error {
	if b, ok := r.Value.([]byte); ok {
		_ = append([]byte(nil), b...)
	} else if str, ok := r.Value.(string); ok {
		_ = []byte(str)
	}
	s.n.Add(1)
	if r.Ack != nil {
		r.Ack(nil)
	}
	return nil
}
func (s *copySink) Flush(context.Context) error { return nil }
func (s *copySink) Close(context.Context) error { return nil }

type keyedModule struct {
	src  *keyedSource
	sink *sinkProvider
}

func (keyedModule) Name() string { return "keyed" }
func (m keyedModule) Open(s *lua.State) error {
	src := s.L.NewUserData()
	src.Value = m.src
	s.L.SetGlobal("keyedsrc", src)
	sink := s.L.NewUserData()
	sink.Value = m.sink
	s.L.SetGlobal("keyedsink", sink)
	return nil
}

// BenchmarkHandlerKeyed is the runtime's share of a Kafka pipe (the
// Kafka rows of scripts/bench/run.sh) without Kafka: records shaped like a
// topic's through `function(v, meta) return v, meta.key end` into a sink
// that acks each write, 100k records per op.
func BenchmarkHandlerKeyed(b *testing.B) {
	const n = 100000
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		src, sink := &keyedSource{n: n}, &copySink{}
		m := keyedModule{src: src, sink: &sinkProvider{s: sink}}
		rt := lua.New(lua.Options{Script: "keyed.lua", Modules: append(bindings.Modules(bindings.Deps{}), m),
			Stdout: io.Discard, Stderr: io.Discard,
			Source: []byte(`handle(keyedsrc, {sink = keyedsink}, function(v, meta) return v, meta.key end)`)})
		if err := rt.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		if src.acked.Load() != n || sink.n.Load() != n {
			b.Fatalf("acked %d, wrote %d, want %d", src.acked.Load(), sink.n.Load(), n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
