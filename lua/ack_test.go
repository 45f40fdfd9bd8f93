package lua_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/exitcode"
	"github.com/streamctl/streamctl/lua"
)

// ackLog records, per input position, the error its Ack got.
type ackLog struct {
	mu    sync.Mutex
	acks  map[int64][]error
	order []string
}

func (l *ackLog) add(event string) {
	l.mu.Lock()
	l.order = append(l.order, event)
	l.mu.Unlock()
}

// ackSource emits n records whose Ack is logged.
type ackSource struct {
	n   int
	log *ackLog
}

func (s *ackSource) Run(ctx context.Context, emit func(context.Context, connectors.Record) error) error {
	for i := 1; i <= s.n; i++ {
		pos := int64(i)
		rec := connectors.Record{Value: int64(i), Source: "test", Pos: pos, Ack: func(err error) {
			s.log.mu.Lock()
			s.log.acks[pos] = append(s.log.acks[pos], err)
			s.log.order = append(s.log.order, fmt.Sprintf("ack %d", pos))
			s.log.mu.Unlock()
		}}
		if err := emit(ctx, rec); err != nil {
			return err
		}
	}
	return nil
}

func (s *ackSource) LuaSource(*lua.State) (connectors.Source, *glua.LFunction, error) {
	return s, nil, nil
}

// asyncSink acks each write later, from another goroutine, like a producer.
type asyncSink struct {
	log *ackLog
	wg  sync.WaitGroup
}

func (s *asyncSink) AcksWrites() bool { return true }
func (s *asyncSink) Write(_ context.Context, r connectors.Record) error {
	s.log.add(fmt.Sprintf("write %v", r.Value))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		time.Sleep(time.Millisecond) // the broker's round trip
		s.log.add(fmt.Sprintf("acked %v", r.Value))
		r.Ack(nil)
	}()
	return nil
}
func (s *asyncSink) Flush(context.Context) error { s.wg.Wait(); return nil }
func (s *asyncSink) Close(context.Context) error { s.wg.Wait(); return nil }

// testModule exposes the test source and sink to Lua as globals.
type testModule struct {
	src  *ackSource
	sink *asyncSink
}

func (testModule) Name() string { return "test" }
func (m testModule) Open(s *lua.State) error {
	src := s.L.NewUserData()
	src.Value = m.src
	s.L.SetGlobal("testsrc", src)
	sink := s.L.NewUserData()
	sink.Value = &sinkProvider{s: m.sink}
	s.L.SetGlobal("testsink", sink)
	return nil
}

// sinkProvider registers its sink with the run once, as bindings do, so the
// run flushes and closes it (waiting for outstanding acks) before returning.
type sinkProvider struct {
	s      connectors.Sink
	once   sync.Once
	locked connectors.Sink
}

func (p *sinkProvider) LuaSink(s *lua.State) (lua.SinkRef, error) {
	p.once.Do(func() { p.locked = s.Runtime().AddSink(p.s) })
	return lua.SinkRef{Go: p.locked}, nil
}

func TestAckAfterOutputsAcknowledged(t *testing.T) {
	log := &ackLog{acks: map[int64][]error{}}
	m := testModule{src: &ackSource{n: 4, log: log}, sink: &asyncSink{log: log}}
	rt := lua.New(lua.Options{Script: "job.lua", Modules: append(bindings.Modules(bindings.Deps{}), m),
		Stdout: io.Discard, Stderr: io.Discard,
		Source: []byte(`
handle(testsrc, {sink = testsink, on_error = "skip"}, function(v)
  if v == 3 then error("boom") end
  if v == 2 then emit(20) end -- two outputs for record 2
  return v
end)
handle(testsrc, function() end) -- a second handler on the same source`)})
	if err := rt.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for pos := int64(1); pos <= 4; pos++ {
		got := log.acks[pos]
		if len(got) != 1 || got[0] != nil {
			t.Fatalf("record %d acked %v, want once with nil", pos, got)
		}
	}
	// Every ack of an input comes after the acks of its outputs.
	idx := map[string]int{}
	for i, e := range log.order {
		idx[e] = i
	}
	for _, c := range []struct{ ack, after string }{
		{"ack 1", "acked 1"}, {"ack 2", "acked 2"}, {"ack 2", "acked 20"}, {"ack 4", "acked 4"},
	} {
		if idx[c.ack] < idx[c.after] {
			t.Fatalf("%q came before %q: %s", c.ack, c.after, strings.Join(log.order, ", "))
		}
	}
}

func TestNoAckForRecordThatStoppedTheRun(t *testing.T) {
	log := &ackLog{acks: map[int64][]error{}}
	m := testModule{src: &ackSource{n: 3, log: log}, sink: &asyncSink{log: log}}
	rt := lua.New(lua.Options{Script: "job.lua", Modules: append(bindings.Modules(bindings.Deps{}), m),
		Stdout: io.Discard, Stderr: io.Discard,
		Source: []byte(`handle(testsrc, {sink = testsink}, function(v)
  if v == 2 then error("boom") end
  return v
end)`)})
	err := rt.Run(context.Background())
	if err == nil || exitcode.Of(err) != 1 {
		t.Fatalf("err = %v, want a runtime error", err)
	}
	if got := log.acks[1]; len(got) != 1 || got[0] != nil {
		t.Fatalf("record 1 acked %v, want nil", got)
	}
	if got := log.acks[2]; len(got) == 1 && got[0] == nil {
		t.Fatalf("record 2 failed the run but was acked as done")
	}
}

// staleSource emits three records; the second is no longer current (as after
// a Kafka seek) by the time a handler takes it.
type staleSource struct{}

func (staleSource) Run(ctx context.Context, emit func(context.Context, connectors.Record) error) error {
	for i := int64(1); i <= 3; i++ {
		current := i != 2
		rec := connectors.Record{Value: i, Source: "test", Pos: i, Valid: func() bool { return current }}
		if err := emit(ctx, rec); err != nil {
			return err
		}
	}
	return nil
}

func (s staleSource) LuaSource(*lua.State) (connectors.Source, *glua.LFunction, error) {
	return s, nil, nil
}

type staleModule struct{}

func (staleModule) Name() string { return "stale" }
func (staleModule) Open(s *lua.State) error {
	ud := s.L.NewUserData()
	ud.Value = staleSource{}
	s.L.SetGlobal("stalesrc", ud)
	return nil
}

func TestStaleRecordsAreDropped(t *testing.T) {
	var out bytes.Buffer
	rt := lua.New(lua.Options{Script: "job.lua", Modules: append(bindings.Modules(bindings.Deps{}), staleModule{}),
		Stdout: &out, Stderr: io.Discard,
		Source: []byte(`handle(stalesrc, function(v) return v end)`)})
	if err := rt.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if out.String() != "1\n3\n" {
		t.Fatalf("stdout = %q, want the current records 1 and 3", out.String())
	}
}
