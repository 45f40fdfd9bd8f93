package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/value"
)

func TestRoundTrip(t *testing.T) {
	c := newBroker(t, kfake.SeedTopics(3, "rt"))
	tp := newTopic(t, c, "rt", func(cfg *Config) {
		cfg.Codec = mustCodec(t, "json")
		cfg.KeyCodec = mustCodec(t, "text")
	})
	ctx := context.Background()
	var acks ackSet
	for i := range 10 {
		err := tp.Write(ctx, connectors.Record{
			Value: value.Object{{Key: "n", Value: int64(i)}, {Key: "s", Value: "x"}},
			Key:   fmt.Sprintf("k%d", i),
			Meta:  map[string]any{"headers": map[string]any{"h": fmt.Sprintf("v%d", i), "b": []byte("raw")}},
			Ack: func(err error) {
				if err != nil {
					t.Errorf("ack: %v", err)
				}
				acks.add()
			},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := tp.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if acks.n != 10 {
		t.Fatalf("acks after Flush = %d, want 10", acks.n)
	}
	if err := tp.Send(ctx, []any{int64(1), "two"}, nil, map[string]string{"via": "send"}); err != nil {
		t.Fatal(err)
	}

	cons := startConsumer(t, tp, nil)
	got := cons.collect(t, 11)
	byKey := map[any]connectors.Record{}
	for _, r := range got {
		if r.Err != nil {
			t.Fatalf("record error: %v", r.Err)
		}
		if r.Ack != nil {
			t.Error("Ack set without a group")
		}
		if r.Source != "kafka:rt" || meta(r, "topic") != "rt" || r.Time.IsZero() {
			t.Errorf("source %q meta %v time %v", r.Source, r.Meta, r.Time)
		}
		if r.Pos != meta(r, "offset").(int64) {
			t.Errorf("Pos %d, offset %v", r.Pos, meta(r, "offset"))
		}
		byKey[r.Key] = r
	}
	for i := range 10 {
		r, ok := byKey[fmt.Sprintf("k%d", i)]
		if !ok {
			t.Fatalf("k%d missing", i)
		}
		b, _ := codec.AppendJSON(nil, r.Value)
		if want := fmt.Sprintf(`{"n":%d,"s":"x"}`, i); string(b) != want {
			t.Errorf("k%d value %s, want %s", i, b, want)
		}
		h := meta(r, "headers").(map[string]any)
		if h["h"] != fmt.Sprintf("v%d", i) || h["b"] != "raw" {
			t.Errorf("k%d headers %v", i, h)
		}
	}
	r := byKey[nil]
	if b, _ := codec.AppendJSON(nil, r.Value); string(b) != `[1,"two"]` || meta(r, "headers").(map[string]any)["via"] != "send" {
		t.Errorf("sent record %s %v", b, meta(r, "headers"))
	}
}

func TestAtLeastOnce(t *testing.T) {
	c := newBroker(t, kfake.SeedTopics(3, "events"))
	for p := range int32(3) {
		var vs []string
		for i := range 10 {
			vs = append(vs, fmt.Sprintf("p%d-%d", p, i))
		}
		produceTo(t, c, "events", p, vs...)
	}
	group := func(cfg *Config) { cfg.Group = "g" }

	tp1 := newTopic(t, c, "events", group)
	c1 := startConsumer(t, tp1, nil)
	got := c1.collect(t, 30)
	var reverse []connectors.Record
	for _, r := range got {
		p, off := meta(r, "partition").(int64), meta(r, "offset").(int64)
		switch {
		case p == 0 && off == 4:
			r.Ack(errors.New("sink failed")) // not marked: 4.. come again
		case p == 1:
			reverse = append(reverse, r) // acked out of order below
		case p == 2 && off == 9:
			// never acked
		default:
			r.Ack(nil)
		}
	}
	for _, r := range slices.Backward(reverse) {
		r.Ack(nil)
		r.Ack(nil) // a second ack is ignored
	}
	c1.stop(t)
	if err := tp1.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	for p := range int32(3) {
		produceTo(t, c, "events", p, "marker")
	}
	tp2 := newTopic(t, c, "events", group)
	c2 := startConsumer(t, tp2, nil)
	var keys []string
	for _, r := range c2.collect(t, 10) {
		keys = append(keys, key(r))
		r.Ack(nil)
	}
	slices.Sort(keys)
	want := []string{"0/10", "0/4", "0/5", "0/6", "0/7", "0/8", "0/9", "1/10", "2/10", "2/9"}
	if !slices.Equal(keys, want) {
		t.Fatalf("after restart got %v, want %v", keys, want)
	}
	c2.none(t, 300*time.Millisecond)
}

func TestPartitionOrder(t *testing.T) {
	c := newBroker(t, kfake.SeedTopics(3, "ord"))
	const n = 200
	for p := range int32(3) {
		var vs []string
		for i := range n {
			vs = append(vs, fmt.Sprint(i))
		}
		produceTo(t, c, "ord", p, vs...)
	}
	tp := newTopic(t, c, "ord", func(cfg *Config) { cfg.Codec = mustCodec(t, "text") })
	next := map[int64]int64{}
	for _, r := range startConsumer(t, tp, nil).collect(t, 3*n) {
		p, off := meta(r, "partition").(int64), meta(r, "offset").(int64)
		if off != next[p] || r.Value != fmt.Sprint(off) {
			t.Fatalf("partition %d: got offset %d value %v, want offset %d", p, off, r.Value, next[p])
		}
		next[p]++
	}
}

func TestSeek(t *testing.T) {
	for _, group := range []string{"", "sg"} {
		t.Run("group="+group, func(t *testing.T) {
			c := newBroker(t, kfake.SeedTopics(1, "sk"))
			produceTo(t, c, "sk", 0, "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9")
			tp := newTopic(t, c, "sk", func(cfg *Config) { cfg.Group = group; cfg.Codec = mustCodec(t, "text") })
			cons := startConsumer(t, tp, nil)
			before := cons.collect(t, 10)
			for _, r := range before {
				if r.Ack != nil {
					r.Ack(nil)
				}
				if !r.Valid() || !r.Valid() { // the second answers from partsGen
					t.Fatalf("record %v not valid before the Seek", r.Value)
				}
			}
			tp.Seek(map[int32]int64{0: 3})
			for _, r := range before {
				if r.Valid() {
					t.Fatalf("record %v still valid after the Seek", r.Value)
				}
			}
			var vals []any
			for _, r := range cons.collect(t, 7) {
				vals = append(vals, r.Value)
				if !r.Valid() || !r.Valid() {
					t.Fatalf("record %v read after the Seek not valid", r.Value)
				}
			}
			if fmt.Sprint(vals) != "[v3 v4 v5 v6 v7 v8 v9]" {
				t.Fatalf("after Seek got %v", vals)
			}
		})
	}
}

// TestSeekDropsPolled: records polled before a Seek but not yet emitted are
// not emitted.
func TestSeekDropsPolled(t *testing.T) {
	c := newBroker(t, kfake.SeedTopics(1, "sd"))
	produceTo(t, c, "sd", 0, "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9")
	tp := newTopic(t, c, "sd", func(cfg *Config) { cfg.Codec = mustCodec(t, "text") })
	release := make(chan struct{})
	blocked := make(chan struct{})
	cons := startConsumer(t, tp, func(r connectors.Record) {
		if r.Value == "v0" {
			close(blocked)
			<-release
		}
	})
	<-blocked // v0 is being emitted; v1..v9 were polled with it
	tp.Seek(map[int32]int64{0: 7})
	close(release)
	var vals []any
	for _, r := range cons.collect(t, 4) {
		vals = append(vals, r.Value)
	}
	if fmt.Sprint(vals) != "[v0 v7 v8 v9]" {
		t.Fatalf("got %v, want [v0 v7 v8 v9]", vals)
	}
}

func TestPause(t *testing.T) {
	c := newBroker(t, kfake.SeedTopics(1, "pz"))
	tp := newTopic(t, c, "pz", func(cfg *Config) { cfg.Codec = mustCodec(t, "text") })
	tp.Pause() // before Run: nothing is emitted
	cons := startConsumer(t, tp, nil)
	produceTo(t, c, "pz", 0, "a", "b")
	cons.none(t, 300*time.Millisecond)
	tp.Resume()
	cons.collect(t, 2)

	tp.Pause()
	produceTo(t, c, "pz", 0, "c", "d", "e")
	cons.none(t, 300*time.Millisecond)
	tp.Resume()
	var vals []any
	for _, r := range cons.collect(t, 3) {
		vals = append(vals, r.Value)
	}
	if fmt.Sprint(vals) != "[c d e]" {
		t.Fatalf("after Resume got %v", vals)
	}
}

func TestUnreachable(t *testing.T) {
	cfg := Config{Brokers: []string{"127.0.0.1:1"}, Topic: "x", DialTimeout: time.Second}
	const want = "kafka: brokers 127.0.0.1:1 unreachable: "
	for _, tt := range []struct {
		name string
		call func(*Topic) error
	}{
		{"run", func(tp *Topic) error {
			return tp.Run(context.Background(), func(context.Context, connectors.Record) error { return nil })
		}},
		{"send", func(tp *Topic) error { return tp.Send(context.Background(), "v", nil, nil) }},
		{"write", func(tp *Topic) error { return tp.Write(context.Background(), connectors.Record{Value: "v"}) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := NewTopic(cfg)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = tt.call(tp)
			if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, ErrUnreachable) {
				t.Fatalf("got %v, want %q...", err, want)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v", d)
			}
			if err := tp.Close(context.Background()); err != nil {
				t.Errorf("Close after failure: %v", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("with Close took %v", d)
			}
		})
	}
}

func TestUnknownTopic(t *testing.T) {
	c := newBroker(t)
	tp := newTopic(t, c, "nope", nil)
	err := tp.Run(context.Background(), func(context.Context, connectors.Record) error { return nil })
	if err == nil || err.Error() != `kafka: topic "nope" does not exist` || !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("Run: %v", err)
	}
	tp2 := newTopic(t, c, "nope", nil)
	if err := tp2.Send(context.Background(), "v", nil, nil); err == nil || err.Error() != `kafka: topic "nope" does not exist` {
		t.Fatalf("Send: %v", err)
	}
	// The broker refuses to auto-create here.
	tp3 := newTopic(t, c, "nope", func(cfg *Config) { cfg.AutoCreate = true })
	if err := tp3.Send(context.Background(), "v", nil, nil); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("Send with auto-create on a refusing broker: %v", err)
	}
}

func TestAutoCreate(t *testing.T) {
	c := newBroker(t, kfake.AllowAutoTopicCreation())
	tp := newTopic(t, c, "fresh", func(cfg *Config) { cfg.AutoCreate = true; cfg.Codec = mustCodec(t, "text") })
	if err := tp.Send(context.Background(), "hello", nil, nil); err != nil {
		t.Fatal(err)
	}
	if r := startConsumer(t, tp, nil).collect(t, 1)[0]; r.Value != "hello" {
		t.Fatalf("got %v", r.Value)
	}
}

func TestDecodeError(t *testing.T) {
	c := newBroker(t, kfake.SeedTopics(1, "bad"))
	produceTo(t, c, "bad", 0, `{"a":1}`, `not json`, `{"b":2}`)
	tp := newTopic(t, c, "bad", func(cfg *Config) { cfg.Codec = mustCodec(t, "json") })
	got := startConsumer(t, tp, nil).collect(t, 3)
	if got[0].Err != nil || got[2].Err != nil {
		t.Fatalf("good records failed: %v, %v", got[0].Err, got[2].Err)
	}
	var bad *connectors.BadInputError
	if !errors.As(got[1].Err, &bad) || bad.ExitCode() != 3 {
		t.Fatalf("Err = %#v", got[1].Err)
	}
	if msg := got[1].Err.Error(); !strings.HasPrefix(msg, "kafka:bad:1: partition 0 offset 1: ") {
		t.Errorf("message %q", msg)
	}
	if string(got[1].Raw) != "not json" || got[1].Value != nil {
		t.Errorf("Raw %q Value %v", got[1].Raw, got[1].Value)
	}
}

// TestProduceError injects a failed produce with kfake's ControlKey.
func TestProduceError(t *testing.T) {
	c := newBroker(t, kfake.SeedTopics(1, "pe"))
	c.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		req := kreq.(*kmsg.ProduceRequest)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = kerr.InvalidRecord.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	tp := newTopic(t, c, "pe", nil)
	ctx := context.Background()
	acked := make(chan error, 1)
	if err := tp.Write(ctx, connectors.Record{Value: "x", Ack: func(err error) { acked <- err }}); err != nil {
		t.Fatal(err)
	}
	err := tp.Flush(ctx)
	if err == nil || !strings.HasPrefix(err.Error(), `kafka: produce to "pe": `) || !errors.Is(err, kerr.InvalidRecord) {
		t.Fatalf("Flush: %v", err)
	}
	if err := <-acked; !errors.Is(err, kerr.InvalidRecord) {
		t.Fatalf("Ack: %v", err)
	}
	// The control handled one request; the next produce goes through.
	if err := tp.Write(ctx, connectors.Record{Value: "y"}); err != nil {
		t.Fatal(err)
	}
	if err := tp.Flush(ctx); err != nil {
		t.Fatalf("second Flush: %v", err)
	}
}

func TestRebalance(t *testing.T) {
	c := newBroker(t, kfake.SeedTopics(4, "rb"))
	group := func(cfg *Config) { cfg.Group = "rg" }
	a := startConsumer(t, newTopic(t, c, "rb", group), nil)
	tpB := newTopic(t, c, "rb", group)
	b := startConsumer(t, tpB, nil)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if _, err := c.WaitGroupStable(ctx, "rg", 2); err != nil {
		t.Fatal(err)
	}

	produce := func(round int) {
		for p := range int32(4) {
			var vs []string
			for i := range 100 {
				vs = append(vs, fmt.Sprintf("%d-%d-%d", round, p, i))
			}
			produceTo(t, c, "rb", p, vs...)
		}
	}
	seen := map[any]bool{}
	per := map[*consumer]int{}
	take := func(want int, cs ...*consumer) {
		deadline := time.After(testTimeout)
		for len(seen) < want {
			for _, cons := range cs {
				select {
				case r := <-cons.recs:
					seen[string(r.Raw)] = true
					per[cons]++
					r.Ack(nil)
				case <-deadline:
					t.Fatalf("saw %d of %d distinct records", len(seen), want)
				case <-time.After(10 * time.Millisecond):
				}
			}
		}
	}
	produce(1)
	take(400, a, b)
	if per[a] == 0 || per[b] == 0 {
		t.Fatalf("partitions not split: a got %d, b got %d", per[a], per[b])
	}
	// b leaves: its partitions move to a, which sees everything after.
	b.stop(t)
	if err := tpB.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	produce(2)
	before := len(seen)
	var again int
	deadline := time.After(testTimeout)
	for len(seen) < 800 {
		select {
		case r := <-a.recs:
			if seen[string(r.Raw)] {
				again++ // acknowledged and committed in round 1
			}
			seen[string(r.Raw)] = true
			r.Ack(nil)
		case <-deadline:
			t.Fatalf("saw %d of 800 distinct records", len(seen))
		}
	}
	if before != 400 || again != 0 {
		t.Fatalf("round 1 records delivered again after b left: %d", again)
	}
}

func TestRoundTrip100k(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	c := newBroker(t, kfake.SeedTopics(3, "big"))
	const n = 100_000
	tp := newTopic(t, c, "big", func(cfg *Config) { cfg.Group = "bg"; cfg.Codec = mustCodec(t, "text") })
	ctx := context.Background()
	for i := range n {
		if err := tp.Write(ctx, connectors.Record{Value: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tp.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	seen := make([]bool, n)
	cons := startConsumer(t, tp, nil)
	deadline := time.After(testTimeout)
	for got := 0; got < n; got++ {
		select {
		case r := <-cons.recs:
			var i int
			fmt.Sscan(r.Value.(string), &i)
			if seen[i] {
				t.Fatalf("record %d twice", i)
			}
			seen[i] = true
			r.Ack(nil)
		case <-deadline:
			t.Fatalf("got %d of %d", got, n)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	no := false
	for _, tt := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no brokers", func(c *Config) { c.Brokers = nil }, "kafka: brokers must be set"},
		{"no topic", func(c *Config) { c.Topic = "" }, "kafka: topic must be set"},
		{"acks", func(c *Config) { c.Acks = "some" }, `kafka: acks must be "all", "leader" or "none", got "some"`},
		{"idempotent", func(c *Config) { c.Acks = "leader"; yes := true; c.Idempotent = &yes }, `kafka: idempotent needs acks = "all", got "leader"`},
		{"offset", func(c *Config) { c.Offset = At(-1) }, `kafka: offset must be "earliest", "latest" or a number >= 0, got -1`},
		{"sasl", func(c *Config) { c.SASL.Mechanism = "GSSAPI" }, `kafka: sasl.mechanism must be "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512", got "GSSAPI"`},
		{"sasl user", func(c *Config) { c.SASL.Mechanism = "PLAIN" }, `kafka: sasl.user must be set with sasl.mechanism "PLAIN"`},
		{"tls pair", func(c *Config) { c.TLS.CertFile = "c.pem" }, "kafka: tls.cert_file and tls.key_file must be set together"},
		{"ok leader", func(c *Config) { c.Acks = "leader" }, ""},
		{"ok no idempotence", func(c *Config) { c.Idempotent = &no }, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Brokers: []string{"127.0.0.1:9092"}, Topic: "t"}
			tt.edit(&cfg)
			_, err := NewTopic(cfg)
			if got := fmt.Sprint(err); (tt.want == "" && err != nil) || (tt.want != "" && got != tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := ParseOffset("first"); err == nil || err.Error() != `kafka: offset must be "earliest", "latest" or a number >= 0, got "first"` {
		t.Errorf("ParseOffset: %v", err)
	}
	if o, _ := ParseOffset("42"); o != At(42) || o.String() != "42" {
		t.Errorf("ParseOffset(42) = %v", o)
	}
	cfg := Config{Brokers: []string{"b:1"}, Topic: "t", TLS: TLS{CAFile: "/nonexistent/ca.pem"}}.withDefaults()
	if _, err := kgoOpts(cfg, nil); err == nil || !strings.HasPrefix(err.Error(), "kafka: tls.ca_file: ") {
		t.Errorf("kgoOpts with a missing CA file: %v", err)
	}
}

func TestSASL(t *testing.T) {
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			c := newBroker(t, kfake.EnableSASL(), kfake.Superuser(mech, "u", "pw"), kfake.SeedTopics(1, "s"))
			tp := newTopic(t, c, "s", func(cfg *Config) { cfg.SASL = SASL{Mechanism: mech, User: "u", Password: "pw"} })
			if err := tp.Send(context.Background(), "v", nil, nil); err != nil {
				t.Fatal(err)
			}
			bad := newTopic(t, c, "s", func(cfg *Config) {
				cfg.SASL = SASL{Mechanism: mech, User: "u", Password: "wrong"}
				cfg.DialTimeout = time.Second
			})
			if err := bad.Send(context.Background(), "v", nil, nil); err == nil {
				t.Fatal("wrong password accepted")
			}
		})
	}
}

// TestLagBacklog: records fetched but not handled yet count as lag, whether
// they wait in the client (emit blocks) or are emitted and not acked (group).
func TestLagBacklog(t *testing.T) {
	for _, group := range []string{"", "g"} {
		t.Run("group="+group, func(t *testing.T) {
			c := newBroker(t, kfake.SeedTopics(1, "backlog"))
			produceTo(t, c, "backlog", 0, "a", "b", "c", "d", "e")
			tp := newTopic(t, c, "backlog", func(cfg *Config) { cfg.Group = group })
			release := make(chan struct{})
			var once sync.Once
			cons := startConsumer(t, tp, func(connectors.Record) { once.Do(func() { <-release }) })
			unblock := sync.OnceFunc(func() { close(release) })
			t.Cleanup(unblock) // before the consumer's cleanup stops it
			// Without a group the first record is handed to emit (which
			// blocks): 4 wait. With one, nothing is acked: all 5 wait.
			want := int64(4)
			if group != "" {
				want = 5
			}
			waitLag(t, tp, want)
			unblock()
			for _, r := range cons.collect(t, 5) {
				if r.Ack != nil {
					r.Ack(nil)
				}
			}
			waitLag(t, tp, 0)
		})
	}
}

// waitLag polls tp.Lag() until partition 0's lag is want.
func waitLag(t *testing.T, tp *Topic, want int64) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		lag := tp.Lag()
		if l, ok := lag[0]; ok && l == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Lag = %v, want partition 0 at %d", lag, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLag reports, per partition read, the records not handled yet: 0 once
// the consumer caught up.
func TestLag(t *testing.T) {
	c := newBroker(t, kfake.SeedTopics(2, "lag"))
	produceTo(t, c, "lag", 0, "a", "b", "c")
	produceTo(t, c, "lag", 1, "d")
	tp := newTopic(t, c, "lag", nil)
	if lag := tp.Lag(); lag != nil {
		t.Fatalf("Lag before any fetch = %v, want nil", lag)
	}
	cons := startConsumer(t, tp, nil)
	cons.collect(t, 4)
	cons.stop(t)
	lag := tp.Lag()
	if len(lag) != 2 || lag[0] != 0 || lag[1] != 0 {
		t.Fatalf("Lag after reading everything = %v, want partitions 0 and 1 at 0", lag)
	}
}
