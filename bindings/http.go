package bindings

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/clock"
	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/codec"
	shttp "github.com/streamctl/streamctl/connectors/http"
	"github.com/streamctl/streamctl/lua"
)

const serverType = "streamctl.server"

// httpModule provides http.get, http.post, http.stream and http.serve
// (api.md sections 3 and 9) on connectors/http.
type httpModule struct {
	// client is the run's HTTP client, made on first use and shared by
	// every Lua state.
	client func() *shttp.Client
	// topics are the run's Kafka topics, whose lag /metrics reports.
	topics *topicList
	// fixtures, under test, answer requests and stand in for streams.
	fixtures Fixtures
	// clock paces retries and reconnects.
	clock clock.Clock
	// scale holds the restores and changelogs /metrics reports.
	scale *scaleOut
}

func newHTTPModule(topics *topicList, fx Fixtures, clk clock.Clock, scale *scaleOut) *httpModule {
	m := &httpModule{topics: topics, fixtures: fx, clock: clk, scale: scale}
	m.client = sync.OnceValue(func() *shttp.Client { return shttp.NewClient(m.clientOpts()...) })
	return m
}

// clientOpts are the options of the run's HTTP clients: under test, the
// fixtures' client.
func (m *httpModule) clientOpts() []shttp.Opt {
	opts := []shttp.Opt{shttp.WithClock(m.clock)}
	if m.fixtures != nil {
		opts = append(opts, shttp.WithHTTPClient(m.fixtures.HTTPClient()))
	}
	return opts
}

func (*httpModule) Name() string { return "http" }

func (m *httpModule) Open(s *lua.State) error {
	L := s.L
	mt := L.NewTypeMetatable(serverType)
	L.SetField(mt, "__name", glua.LString("server"))
	L.SetField(mt, "__index", L.SetFuncs(L.NewTable(), map[string]glua.LGFunction{
		"get": func(L *glua.LState) int { return serverGet(s, L) },
		"sse": func(L *glua.LState) int { return serverSSE(s, L) },
		"addr": func(L *glua.LState) int {
			L.Push(glua.LString(checkServer(L, "addr").srv.Addr()))
			return 1
		},
	}))
	L.SetGlobal("http", L.SetFuncs(L.NewTable(), map[string]glua.LGFunction{
		"get":    nil,
		"post":   nil,
		"stream": func(L *glua.LState) int { return m.stream(s, L) },
		"serve":  func(L *glua.LState) int { return m.serve(s, L) },
	}))
	mod := L.GetGlobal("http").(*glua.LTable)
	mod.RawSetString("get", s.WaitingFunc(func(L *glua.LState) int { return m.request(s, L, "GET") }))
	mod.RawSetString("post", s.WaitingFunc(func(L *glua.LState) int { return m.request(s, L, "POST") }))
	return nil
}

// http.get(url [, opts]) / http.post(url, body [, opts]) -> {status, headers, body}.
// http.post(url) with the URL alone is a sink posting each record as JSON.
func (m *httpModule) request(s *lua.State, L *glua.LState, method string) int {
	name := "http." + map[string]string{"GET": "get", "POST": "post"}[method]
	a := lua.WaitArgs(L, name)
	url := a.String(1, "url")
	if method == "POST" && L.GetTop() == 1 {
		return postSink(s, L, a, url, m.clientOpts())
	}
	req := shttp.Request{Method: method, URL: url}
	optIdx := 2
	if method == "POST" {
		optIdx = 3
		switch b := L.Get(2).(type) {
		case glua.LString:
			req.Body = []byte(b)
		case *glua.LNilType:
		default:
			body, err := s.AppendJSON(nil, b)
			a.Check(err)
			req.Body = body
			req.Headers = map[string]string{"Content-Type": "application/json"}
		}
	}
	o := a.Options(optIdx, "headers", "timeout", "retries")
	if h := o.Table("headers"); h != nil {
		if req.Headers == nil {
			req.Headers = map[string]string{}
		}
		lua.ForEachOrdered(h, func(k, v glua.LValue) { req.Headers[k.String()] = v.String() })
	}
	req.Timeout = o.Duration("timeout", 0)
	req.Retries = o.Int("retries", 0, 0)
	return s.Await(L, func(ctx context.Context) (lua.Results, error) {
		resp, err := m.client().Do(ctx, req)
		if err != nil {
			return nil, err
		}
		return func(s *lua.State) []glua.LValue {
			t := s.L.CreateTable(0, 3)
			t.RawSetString("status", glua.LNumber(resp.Status))
			hs := s.L.CreateTable(0, len(resp.Headers))
			for k, v := range resp.Headers {
				hs.RawSetString(k, glua.LString(v))
			}
			t.RawSetString("headers", hs)
			t.RawSetString("body", glua.LString(resp.Body))
			return []glua.LValue{t}
		}, nil
	})
}

// postSink returns (through the waiting-call convention) a sink posting
// each record to url as JSON.
func postSink(s *lua.State, L *glua.LState, a *lua.ArgChecker, url string, opts []shttp.Opt) int {
	if s.Runtime() == nil {
		a.Raise("not available here")
	}
	v, err := s.Shared("http.post", func() (any, error) {
		json, _ := codec.Lookup("json")
		sk, err := shttp.NewPostSink(shttp.PostConfig{URL: url, Method: "POST", Codec: json}, opts...)
		if err != nil {
			return nil, err
		}
		return &endpoint{kind: "http.post " + url, openSink: func() (connectors.Sink, error) { return sk, nil }}, nil
	})
	a.Check(err)
	ud := L.NewUserData()
	ud.Value = &endpointRef{e: v.(*endpoint)}
	ud.Metatable = L.GetTypeMetatable(endpointType)
	L.Push(glua.LTrue)
	L.Push(ud)
	return 2
}

// http.stream(url [, {format=, headers=, reconnect=, codec=}]) -> source.
func (m *httpModule) stream(s *lua.State, L *glua.LState) int {
	a := lua.Args(L, "http.stream")
	url := a.String(1, "url")
	o := a.Options(2, "format", "headers", "reconnect", "codec")
	cfg := shttp.DefaultStreamConfig(url)
	cfg.Format = o.Enum("format", "lines", "lines", "ndjson", "sse")
	cfg.Reconnect = o.Bool("reconnect", true)
	if o.Has("codec") {
		cfg.Codec, _ = codecOption(a, o, "text")
	}
	if h := o.Table("headers"); h != nil {
		cfg.Headers = map[string]string{}
		lua.ForEachOrdered(h, func(k, v glua.LValue) { cfg.Headers[k.String()] = v.String() })
	}
	return pushEndpoint(s, L, a, "http.stream", nil, func() (*endpoint, error) {
		if m.fixtures != nil {
			return &endpoint{kind: "http.stream " + url, source: m.fixtures.Stream(url)}, nil
		}
		src, err := shttp.NewStreamSource(cfg, shttp.WithLogger(s.Runtime().Logger()), shttp.WithClock(m.clock))
		if err != nil {
			return nil, err
		}
		return &endpoint{kind: "http.stream " + url, source: src}, nil
	})
}

// luaServer is the Go value behind http.serve: one server per call
// position, shared by every Lua state of the run.
type luaServer struct {
	srv *shttp.Server
	rt  *lua.Runtime
}

// http.serve{addr=} -> server; starts listening at once.
func (m *httpModule) serve(s *lua.State, L *glua.LState) int {
	a := lua.Args(L, "http.serve")
	o := a.Options(1, "addr")
	addr := o.String("addr", "127.0.0.1:8080")
	if m.fixtures != nil {
		addr = m.fixtures.ServeAddr(addr)
	}
	rt := s.Runtime()
	if rt == nil {
		a.Raise("not available here")
	}
	v, err := s.Shared("http.serve", func() (any, error) {
		// Requests are held until the code that called http.serve yields
		// or ends, so the paths it registers right after (srv:get, srv:sse)
		// are there for the first request.
		srv, err := shttp.NewServer(shttp.ServerConfig{Addr: addr, Metrics: runMetrics(rt, m.topics, m.scale), Held: true}, shttp.WithLogger(rt.Logger()))
		if err != nil {
			return nil, err
		}
		if err := srv.Start(rt.Context()); err != nil {
			return nil, err
		}
		rt.Later(srv.Ready)
		release := rt.KeepAlive()
		rt.OnClose(func(ctx context.Context) error {
			release()
			return srv.Close(ctx)
		})
		rt.Logger().Info("http server listening", "addr", srv.Addr())
		return &luaServer{srv: srv, rt: rt}, nil
	})
	a.Check(err)
	ud := L.NewUserData()
	ud.Value = v
	ud.Metatable = L.GetTypeMetatable(serverType)
	L.Push(ud)
	return 1
}

func checkServer(L *glua.LState, method string) *luaServer {
	return checkSelf[*luaServer](L, "server", method, "a server from http.serve", "srv")
}

// srv:get(path, fn(req) -> status, body, headers): fn runs as a coroutine of
// the main state (it may wait); a table body is sent as JSON.
func serverGet(s *lua.State, L *glua.LState) int {
	ls := checkServer(L, "get")
	a := lua.Args(L, "server:get")
	path := a.String(2, "path")
	fn := a.Func(3, "handler")
	if !s.IsMain() {
		return 0 // worker states re-run the top level: the main state registered it
	}
	err := ls.srv.Handle(path, func(ctx context.Context, req *shttp.ServerRequest) (int, []byte, map[string]string, error) {
		var status int
		var body []byte
		var headers map[string]string
		err := ls.rt.CallMain(ctx, fn, func(s *lua.State) []glua.LValue {
			t := s.L.CreateTable(0, 4)
			t.RawSetString("method", glua.LString(req.Method))
			t.RawSetString("path", glua.LString(req.Path))
			q := s.L.CreateTable(0, len(req.Query))
			for k, v := range req.Query {
				q.RawSetString(k, glua.LString(v))
			}
			t.RawSetString("query", q)
			h := s.L.CreateTable(0, len(req.Headers))
			for k, v := range req.Headers {
				h.RawSetString(k, glua.LString(v))
			}
			t.RawSetString("headers", h)
			return []glua.LValue{t}
		}, func(s *lua.State, vals []glua.LValue) error {
			status = 200
			if n, ok := vals[0].(glua.LNumber); ok {
				status = int(n)
			}
			if len(vals) > 1 {
				switch b := vals[1].(type) {
				case glua.LString:
					body = []byte(b)
				case *glua.LNilType:
				default:
					j, err := s.AppendJSON(nil, b)
					if err != nil {
						return fmt.Errorf("handler for %s: body: %w", path, err)
					}
					body = j
					headers = map[string]string{"Content-Type": "application/json"}
				}
			}
			if len(vals) > 2 {
				if ht, ok := vals[2].(*glua.LTable); ok {
					if headers == nil {
						headers = map[string]string{}
					}
					lua.ForEachOrdered(ht, func(k, v glua.LValue) { headers[k.String()] = v.String() })
				}
			}
			return nil
		})
		return status, body, headers, err
	})
	a.Check(err)
	return 0
}

// srv:sse(path, source): streams every record of source to the clients of
// path as an SSE event (data = the value as text, tables as JSON).
func serverSSE(s *lua.State, L *glua.LState) int {
	ls := checkServer(L, "sse")
	a := lua.Args(L, "server:sse")
	path := a.String(2, "path")
	ud, ok := L.Get(3).(*glua.LUserData)
	var prov lua.SourceProvider
	if ok {
		prov, ok = ud.Value.(lua.SourceProvider)
	}
	if !ok {
		a.Raise("source must be a source such as c:updates(), got %s", lua.TypeName(L.Get(3)))
	}
	src, _, err := prov.LuaSource(s)
	a.Check(err)
	v, err := s.Shared("server.sse", func() (any, error) {
		hub, err := ls.srv.SSE(path)
		if err != nil {
			return nil, err
		}
		return ls.rt.AddSink(hub.Sink(shttp.SSESinkConfig{})), nil
	})
	a.Check(err)
	identity := L.NewFunction(func(L *glua.LState) int { L.Push(L.Get(1)); return 1 })
	a.Check(s.Handle(&lua.HandlerSpec{Name: "sse " + path, Source: src, Fn: identity,
		Sinks: []lua.SinkRef{{Go: v.(connectors.Sink)}}, OnError: lua.OnErrorSkip}))
	return 0
}

// runMetrics writes the run's per-handler counters (records in, out,
// errors, skipped, late) and the Kafka consumer lag per partition, read at scrape
// time.
func runMetrics(rt *lua.Runtime, topics *topicList, scale *scaleOut) shttp.MetricsWriter {
	return func(w io.Writer) {
		handlers := rt.Handlers()
		counts := make([][5]int64, len(handlers))
		for i, h := range handlers {
			in, out, failed, skipped := h.Counts()
			counts[i] = [5]int64{in, out, failed, skipped, h.Late()}
		}
		for i, f := range []struct{ name, help string }{
			{"streamctl_records_in_total", "Records a handler received."},
			{"streamctl_records_out_total", "Records a handler wrote to its sinks."},
			{"streamctl_records_errors_total", "Records that failed in a handler (bad input or script error)."},
			{"streamctl_records_skipped_total", `Failed records skipped by on_error = "skip".`},
			{"streamctl_records_late_total", "Late records a handler's window operators received (sent to the late sink or dropped)."},
		} {
			samples := make([]shttp.Sample, len(handlers))
			for j, h := range handlers {
				samples[j] = shttp.Sample{Labels: []string{"handler", h.Name()}, Value: float64(counts[j][i])}
			}
			shttp.WriteFamily(w, f.name, "counter", f.help, samples)
		}
		var lag []shttp.Sample
		for _, t := range topics.all() {
			topic := strings.TrimPrefix(t.Name(), "kafka:")
			byPartition := t.Lag()
			for _, p := range slices.Sorted(maps.Keys(byPartition)) {
				lag = append(lag, shttp.Sample{Labels: []string{"topic", topic, "partition", strconv.Itoa(int(p))}, Value: float64(byPartition[p])})
			}
		}
		shttp.WriteFamily(w, "streamctl_kafka_consumer_lag", "gauge",
			"Records not handled yet, per partition: the high watermark at the last fetch minus the next offset to handle.", lag)
		if scale != nil {
			scale.writeMetrics(w)
		}
	}
}
