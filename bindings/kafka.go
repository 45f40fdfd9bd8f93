package bindings

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/kafka"
	"github.com/streamctl/streamctl/lua"
)

const topicType = "streamctl.topic"

// defaultBrokers is where `streamctl dev-broker` listens by default, so a
// script runs on one laptop with no setup.
const defaultBrokers = "127.0.0.1:9092"

// kafkaModule provides kafka.topic (api.md section 6) on franz-go.
type kafkaModule struct {
	brokers  []string   // Deps.Brokers: for topics that name none
	topics   *topicList // the run's open topics, for /metrics
	fixtures Fixtures   // under test: topics are fixtures
	scale    *scaleOut  // the run's Kafka transaction (exactly_once)
}

func (*kafkaModule) Name() string { return "kafka" }

// luaTopic is the Go value behind a Lua topic: one *kafka.Topic per
// kafka.topic call position, shared by every Lua state of the run.
type luaTopic struct {
	t    *kafka.Topic    // nil under test
	conn KafkaTopic      // t, or the test's fixture
	sink connectors.Sink // registered with the run on first use as a sink
}

// LuaSource implements lua.SourceProvider.
func (lt *luaTopic) LuaSource(*lua.State) (connectors.Source, *glua.LFunction, error) {
	return lt.conn, nil, nil
}

// LuaSink implements lua.SinkProvider: outputs are produced asynchronously;
// the input record is acked (its offset committed) once the broker acked them.
func (lt *luaTopic) LuaSink(s *lua.State) (lua.SinkRef, error) {
	if lt.sink == nil {
		lt.sink = s.Runtime().AddSink(lt.conn)
	}
	return lua.SinkRef{Go: lt.sink}, nil
}

func (m *kafkaModule) Open(s *lua.State) error {
	L := s.L
	mt := L.NewTypeMetatable(topicType)
	L.SetField(mt, "__name", glua.LString("topic"))
	L.SetField(mt, "__index", L.SetFuncs(L.NewTable(), map[string]glua.LGFunction{
		"send": nil, // set below: a waiting call
		"seek": func(L *glua.LState) int {
			lt := checkTopic(L, "seek")
			a := lua.Args(L, "topic:seek")
			t := a.Table(2, "offsets")
			offsets := map[int32]int64{}
			lua.ForEachOrdered(t, func(k, v glua.LValue) {
				// Partition keys may be numbers or numeric strings, as in a
				// checkpoint's dep.checkpoint_state.
				p, ok1 := glua.LVAsNumber(k), k.Type() == glua.LTNumber
				if ks, isStr := k.(glua.LString); isStr {
					n, err := strconv.ParseInt(string(ks), 10, 32)
					p, ok1 = glua.LNumber(n), err == nil
				}
				o, ok2 := v.(glua.LNumber)
				if !ok1 || !ok2 || float64(p) != float64(int32(p)) || float64(o) != float64(int64(o)) {
					a.Raise("offsets must map partition numbers to offsets, got [%s] = %s", lua.TypeName(k), lua.TypeName(v))
				}
				offsets[int32(p)] = int64(o)
			})
			lt.conn.Seek(offsets)
			return 0
		},
		"pause":  func(L *glua.LState) int { checkTopic(L, "pause").conn.Pause(); return 0 },
		"resume": func(L *glua.LState) int { checkTopic(L, "resume").conn.Resume(); return 0 },
	}))
	methods := L.GetField(mt, "__index").(*glua.LTable)
	methods.RawSetString("send", s.WaitingFunc(func(L *glua.LState) int { return topicSend(s, L) }))
	L.SetField(mt, "__tostring", L.NewFunction(func(L *glua.LState) int {
		L.Push(glua.LString(checkTopic(L, "tostring").conn.Name()))
		return 1
	}))
	L.SetGlobal("kafka", L.SetFuncs(L.NewTable(), map[string]glua.LGFunction{
		"topic": func(L *glua.LState) int { return m.topic(s, L) },
	}))
	return nil
}

func checkTopic(L *glua.LState, method string) *luaTopic {
	return checkSelf[*luaTopic](L, "topic", method, "a kafka topic", "t")
}

// kafka.topic(name [, conf])
func (m *kafkaModule) topic(s *lua.State, L *glua.LState) int {
	a := lua.Args(L, "kafka.topic")
	name := a.String(1, "name")
	o := a.Options(2, "brokers", "group", "offset", "codec", "key_codec", "acks", "idempotent",
		"sasl", "tls", "auto_create", "dial_timeout", "session_timeout", "exactly_once", "isolation", "transaction_timeout")
	rt := s.Runtime()
	if rt == nil {
		a.Raise("not available here")
	}
	cfg := kafka.Config{
		Topic:          name,
		Group:          o.String("group", ""),
		Acks:           o.Enum("acks", "all", "all", "leader", "none"),
		AutoCreate:     o.Bool("auto_create", false),
		DialTimeout:    o.Duration("dial_timeout", 10*time.Second),
		SessionTimeout: o.Duration("session_timeout", 0),
		ExactlyOnce:    o.Bool("exactly_once", false),
	}
	if o.Has("isolation") {
		cfg.Isolation = o.Enum("isolation", kafka.ReadUncommitted, kafka.ReadUncommitted, kafka.ReadCommitted)
	}
	if o.Has("transaction_timeout") {
		if cfg.TransactionTimeout = o.Duration("transaction_timeout", 0); cfg.TransactionTimeout <= 0 {
			a.Raise("transaction_timeout must be > 0")
		}
	}
	cfg.Brokers = m.brokerList(a, o)
	switch v := o.Get("offset").(type) {
	case *glua.LNilType:
	case glua.LNumber:
		cfg.Offset = kafka.At(int64(v))
	case glua.LString:
		off, err := kafka.ParseOffset(string(v))
		if err != nil {
			a.Raise(`offset must be "earliest", "latest" or a number, got %q`, string(v))
		}
		cfg.Offset = off
	default:
		a.Raise(`offset must be "earliest", "latest" or a number, got %s`, lua.TypeName(v))
	}
	if o.Has("idempotent") {
		b := o.Bool("idempotent", true)
		cfg.Idempotent = &b
	}
	cfg.Codec, _ = codecOptionNamed(a, o, "codec", "bytes")
	cfg.KeyCodec, _ = codecOptionNamed(a, o, "key_codec", "text")
	if t := o.Table("sasl"); t != nil {
		so := a.CheckOptions(t, "mechanism", "user", "password")
		cfg.SASL = kafka.SASL{Mechanism: so.Enum("mechanism", "PLAIN", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"),
			User: so.String("user", ""), Password: so.String("password", "")}
	}
	if t := o.Table("tls"); t != nil {
		to := a.CheckOptions(t, "ca", "cert", "key", "insecure")
		cfg.TLS = kafka.TLS{Enabled: true, CAFile: to.String("ca", ""), CertFile: to.String("cert", ""),
			KeyFile: to.String("key", ""), InsecureSkipVerify: to.Bool("insecure", false)}
	}
	v, err := s.Shared("kafka.topic", func() (any, error) {
		if m.fixtures != nil {
			return &luaTopic{conn: m.fixtures.Topic(name, cfg.Codec, cfg.KeyCodec)}, nil
		}
		t, err := kafka.NewTopic(cfg, kafka.WithLogger(rt.Logger()))
		if err != nil {
			return nil, err
		}
		m.topics.add(t)
		rt.OnClose(func(context.Context) error {
			m.topics.remove(t)
			return t.Close(context.Background())
		})
		if cfg.ExactlyOnce {
			if _, err := m.scale.transactional(s, t); err != nil {
				return nil, err
			}
		}
		return &luaTopic{t: t, conn: t}, nil
	})
	a.Check(err)
	ud := L.NewUserData()
	ud.Value = v
	ud.Metatable = L.GetTypeMetatable(topicType)
	L.Push(ud)
	return 1
}

// brokerList reads conf.brokers ("h:p,h:p" or a list), else Deps.Brokers
// (--brokers, STREAMCTL_BROKERS), else the dev-broker's default address.
func (m *kafkaModule) brokerList(a *lua.ArgChecker, o *lua.OptionTable) []string {
	var list []string
	switch v := o.Get("brokers").(type) {
	case *glua.LNilType:
		list = append(list, m.brokers...)
		if len(list) == 0 {
			list = []string{defaultBrokers}
		}
	case glua.LString:
		list = strings.Split(string(v), ",")
	case *glua.LTable:
		for i := 1; i <= v.Len(); i++ {
			b, ok := v.RawGetInt(i).(glua.LString)
			if !ok {
				a.Raise("brokers[%d] must be a string host:port, got %s", i, lua.TypeName(v.RawGetInt(i)))
			}
			list = append(list, string(b))
		}
	default:
		a.Raise(`brokers must be "host:port,..." or a list of them, got %s`, lua.TypeName(v))
	}
	out := list[:0]
	for _, b := range list {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		a.Raise("brokers must not be empty")
	}
	return out
}

// topic:send(value [, key [, headers]]): produce and wait for the ack.
func topicSend(s *lua.State, L *glua.LState) int {
	a := lua.WaitArgs(L, "topic:send")
	lt := checkTopic(L, "send")
	value, err := s.FromLua(L.Get(2))
	a.Check(err)
	var key any
	if L.Get(3) != glua.LNil {
		if key, err = s.FromLua(L.Get(3)); err != nil {
			a.Check(err)
		}
	}
	var headers map[string]string
	if L.Get(4) != glua.LNil {
		t := a.Table(4, "headers")
		headers = map[string]string{}
		lua.ForEachOrdered(t, func(k, v glua.LValue) {
			headers[k.String()] = v.String()
		})
	}
	send := lt.conn.Send
	if x := exactlyOnceTxn(s.HandlerSource(L)); x != nil && lt.t != nil {
		// A handler of an exactly-once source: in its transaction.
		send = func(ctx context.Context, value, key any, headers map[string]string) error {
			return x.Send(ctx, lt.t, value, key, headers)
		}
	}
	return s.Await(L, func(ctx context.Context) (lua.Results, error) {
		if err := send(ctx, value, key, headers); err != nil {
			return nil, fmt.Errorf("topic:send: %w", err)
		}
		return nil, nil
	})
}

// topicList is the run's open Kafka topics, for the consumer lag metric.
// Safe for concurrent use.
type topicList struct {
	mu     sync.Mutex
	topics []*kafka.Topic
}

func (l *topicList) add(t *kafka.Topic) {
	l.mu.Lock()
	l.topics = append(l.topics, t)
	l.mu.Unlock()
}

func (l *topicList) remove(t *kafka.Topic) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.topics = slices.DeleteFunc(l.topics, func(x *kafka.Topic) bool { return x == t })
}

func (l *topicList) all() []*kafka.Topic {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*kafka.Topic(nil), l.topics...)
}
