package bindings

import (
	"context"
	_ "embed"
	"fmt"
	"math"
	"strconv"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/clock"
	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/lua"
	"github.com/streamctl/streamctl/state"
	"github.com/streamctl/streamctl/value"
)

const windowerType = "streamctl.windower"

// windowModule provides window.tumbling, window.hopping, window.sliding and
// window.session (api.md section 7): pipe operators whose open windows and
// watermark persist in a cache (state.Windower), so a restart continues.
// window.lua makes the operator tables around the Go windower.
type windowModule struct {
	store *stateStore
	clock clock.Clock // arrival times and idle checks
}

//go:embed window.lua
var windowLua []byte

func (*windowModule) Name() string { return "window" }

// windowOp is one window operator of the main state.
type windowOp struct {
	// where is the script position of the window.* call ("job.lua:3:"):
	// the operator's errors name it, not streamctl's pipe driver.
	where string
	w     *state.Windower
	rt    *lua.Runtime
	clock clock.Clock
	late  *lua.SinkRef
	idle  time.Duration
	// values is false when the windows never look at the records' values
	// (a count of tumbling, hopping or session windows): they are not
	// converted from Lua then.
	values    bool
	parts     connectors.Partitioned // the handler's source, when it has partitions
	partNames []string               // names of Kafka partitions by number (partName)
	gen       uint64                 // of parts, as last given to w
	src       connectors.Source      // the source parts was looked up for
	// timef and keyf are opts.time and opts.key. When both only return a
	// field of the record (lua.FieldGetter), timeField and keyField name
	// those fields, and windowAdd reads them from the record's table
	// itself: two Lua calls less per record.
	timef, keyf         *glua.LFunction
	timeField, keyField string
	// shards, in place of w, keeps a windower per shard of a partitioned
	// cache (opts.cache = cache.open(name, {partitioned_by = topic})).
	shards *shardWindows
}

func (m *windowModule) Open(s *lua.State) error {
	L := s.L
	chunk, err := s.Load(windowLua, "=[window]")
	if err != nil {
		return err
	}
	res, err := s.CallValues(chunk, 1)
	if err != nil {
		return err
	}
	w := &windowCalls{m: m, s: s, makeOp: res[0].(*glua.LFunction)}
	mt := L.NewTypeMetatable(windowerType)
	L.SetField(mt, "__name", glua.LString("windower"))
	L.SetField(mt, "__index", L.SetFuncs(L.NewTable(), map[string]glua.LGFunction{
		"add":    func(L *glua.LState) int { return windowAdd(s, L) },
		"finish": func(L *glua.LState) int { return windowFinish(s, L) },
		"idle":   func(L *glua.LState) int { return windowIdle(s, L) },
		"every":  func(L *glua.LState) int { return windowEvery(L) },
	}))
	kinds := map[string]state.WindowKind{"tumbling": state.Tumbling, "hopping": state.Hopping, "sliding": state.Sliding, "session": state.Session}
	mod := L.NewTable()
	for name, kind := range kinds {
		name, kind := name, kind
		mod.RawSetString(name, L.NewFunction(func(L *glua.LState) int { return w.newWindow(L, name, kind) }))
	}
	L.SetGlobal("window", mod)
	return nil
}

// windowCalls are the window.* constructors of one Lua state.
type windowCalls struct {
	m      *windowModule
	s      *lua.State
	makeOp *glua.LFunction // window.lua: the operator table around a windower
	seq    int             // window.* calls so far in this state: default names
}

// window.KIND{size=, hop=, gap=, time=, key=, agg=, grace=, emit=, late=, idle=, cache=, name=}
func (w *windowCalls) newWindow(L *glua.LState, kindName string, kind state.WindowKind) int {
	s := w.s
	fn := "window." + kindName
	a := lua.Args(L, fn)
	if t, ok := L.Get(1).(*glua.LTable); ok && t.RawGetString("flush_every") != glua.LNil {
		a.Raise("flush_every was removed: windows are committed with the input position (see \"Guarantees\" in the docs)")
	}
	known := []string{"time", "key", "agg", "grace", "emit", "late", "idle", "cache", "name"}
	switch kind {
	case state.Hopping:
		known = append(known, "size", "hop")
	case state.Session:
		known = append(known, "gap")
	default:
		known = append(known, "size")
	}
	o := a.Options(1, known...)
	cfg := state.WindowConfig{Kind: kind, Grace: o.Duration("grace", 0)}
	switch kind {
	case state.Session:
		cfg.Gap = requiredDuration(a, o, "gap")
	case state.Hopping:
		cfg.Size = requiredDuration(a, o, "size")
		cfg.Hop = requiredDuration(a, o, "hop")
	default:
		cfg.Size = requiredDuration(a, o, "size")
	}
	if o.Enum("emit", "final", "final", "update") == "update" {
		cfg.Emit = state.EmitUpdate
	}
	cfg.Agg = aggregatorOption(s, a, o)
	timef, keyf := o.Func("time"), o.Func("key")
	op := &windowOp{rt: s.Runtime(), clock: w.m.clock, idle: o.Duration("idle", 0), where: L.Where(1), values: true}
	if vb, ok := cfg.Agg.(state.ValueBlind); ok && vb.IgnoresValues() && kind != state.Sliding {
		op.values = false
	}
	if v := o.Get("late"); v != glua.LNil {
		ref, ok, err := s.SinkRefOf(v)
		if !ok {
			a.Raise("late must be a sink or a function, got %s", lua.TypeName(v))
		}
		a.Check(err)
		op.late = &ref
	}
	// Persisted under a stable name: opts.name, else the kind and the
	// operator's position in the script.
	w.seq++
	cfg.Name = o.String("name", fmt.Sprintf("%s%d", kindName, w.seq))
	if s.Runtime() == nil {
		a.Raise("not available here")
	}
	// Windows live in memory and are written to their cache at each
	// commit, with the positions of the records they hold (api.md
	// section 10).
	if s.IsMain() {
		c, pc, err := w.windowStore(a, o)
		a.Check(err)
		st, err := w.m.store.open(s)
		a.Check(err)
		if pc != nil {
			op.shards = newShardWindows(cfg, pc, st)
		} else {
			win, err := state.NewWindower(cfg, c.Deferred())
			a.Check(err)
			op.w = win
			remove := st.OnCommit(win.Flush)
			s.Runtime().OnClose(func(context.Context) error { remove(); return nil })
		}
	}
	ud := L.NewUserData()
	ud.Value = op
	ud.Metatable = L.GetTypeMetatable(windowerType)
	L.Push(w.makeOp)
	L.Push(ud)
	L.Push(luaOrNil(timef))
	L.Push(luaOrNil(keyf))
	L.Push(glua.LBool(!op.values && op.late == nil))
	op.timef, op.keyf = timef, keyf
	if timef != nil && keyf != nil {
		tf, tok := lua.FieldGetter(timef)
		kf, kok := lua.FieldGetter(keyf)
		if tok && kok {
			op.timeField, op.keyField = tf, kf
		}
	}
	L.Push(glua.LBool(op.timeField != ""))
	L.Call(5, 1)
	if op.late != nil { // late records go out with their meta
		L.SetField(L.Get(-1), "reads_meta", glua.LTrue)
	}
	return 1
}

func luaOrNil(f *glua.LFunction) glua.LValue {
	if f == nil {
		return glua.LNil
	}
	return f
}

func requiredDuration(a *lua.ArgChecker, o *lua.OptionTable, key string) time.Duration {
	if !o.Has(key) {
		a.Raise("%s must be a duration like \"1m\" or a number of seconds, got nil", key)
	}
	d := o.Duration(key, 0)
	if d <= 0 {
		a.Raise("%s must be > 0", key)
	}
	return d
}

// windowStore is opts.cache (a cache, or a partitioned cache), else the
// run's persistent cache "windows".
func (w *windowCalls) windowStore(a *lua.ArgChecker, o *lua.OptionTable) (*state.Cache, *partitionedCache, error) {
	if v := o.Get("cache"); v != glua.LNil {
		ud, ok := v.(*glua.LUserData)
		if ok {
			switch c := ud.Value.(type) {
			case *luaCache:
				return c.c, nil, nil
			case *partitionedCache:
				return nil, c, nil
			}
		}
		a.Raise("cache must be a cache from cache.open, got %s", lua.TypeName(v))
	}
	lc, err := w.m.store.cache(w.s, "windows", state.CacheConfig{})
	if err != nil {
		return nil, nil, err
	}
	return lc.c, nil, nil
}

// aggregatorOption reads agg: a built-in name (default "count") or a Lua
// table {init=, add=, merge=}.
func aggregatorOption(s *lua.State, a *lua.ArgChecker, o *lua.OptionTable) state.Aggregator {
	switch v := o.Get("agg").(type) {
	case *glua.LNilType:
		agg, _ := state.BuiltinAggregator("count")
		return agg
	case glua.LString:
		agg, err := state.BuiltinAggregator(string(v))
		if err != nil {
			a.Raise("agg: %v", err)
		}
		return agg
	case *glua.LTable:
		to := a.CheckOptions(v, "init", "add", "merge")
		agg := &luaAggregator{s: s, init: to.Func("init"), add: to.Func("add"), merge: to.Func("merge")}
		if agg.add == nil {
			a.Raise("agg table needs an add function: {init=, add=, merge=}")
		}
		return agg
	default:
		a.Raise(`agg must be "count", "sum", "min", "max", "avg", "list", "set" or a table {init=, add=, merge=}, got %s`, lua.TypeName(v))
	}
	return nil
}

// luaAggregator runs a Lua {init, add, merge} table in its state.
type luaAggregator struct {
	s                *lua.State
	init, add, merge *glua.LFunction
}

func (g *luaAggregator) call(fn *glua.LFunction, args ...any) (any, error) {
	largs := make([]glua.LValue, len(args))
	for i, a := range args {
		largs[i] = g.s.ToLua(a)
	}
	res, err := g.s.CallValues(fn, 1, largs...)
	if err != nil {
		return nil, err
	}
	return g.s.FromLua(res[0])
}

// Init implements state.Aggregator.
func (g *luaAggregator) Init() any {
	if g.init == nil {
		return nil
	}
	v, err := g.call(g.init)
	if err != nil {
		return nil
	}
	return v
}

// Add implements state.Aggregator.
func (g *luaAggregator) Add(acc, v any) (any, error) { return g.call(g.add, acc, v) }

// Merge implements state.Aggregator (session windows).
func (g *luaAggregator) Merge(a, b any) (any, error) {
	if g.merge == nil {
		return nil, fmt.Errorf("session windows merge: the agg table needs a merge function")
	}
	return g.call(g.merge, a, b)
}

// Result implements state.Aggregator.
func (g *luaAggregator) Result(acc any) (any, error) { return acc, nil }

func checkWindower(L *glua.LState) *windowOp {
	ud, ok := L.Get(1).(*glua.LUserData)
	if ok {
		if op, ok := ud.Value.(*windowOp); ok {
			if op.w == nil && op.shards == nil {
				L.RaiseError("window operators run in the main state: use them in a handler with workers = 1")
			}
			return op
		}
	}
	L.RaiseError("windower expected")
	return nil
}

// w:add(key, t, v, meta) -> list of results (nothing for none); late
// records go to opts.late. It runs once per record: errors build their
// ArgChecker only when they happen.
func windowAdd(s *lua.State, L *glua.LState) int {
	op := checkWindower(L)
	check := func(err error) {
		if err != nil {
			lua.ArgsAt(L, "window", op.where).Check(err)
		}
	}
	var (
		key any
		t   time.Time
		err error
	)
	direct := false
	if op.timeField != "" {
		key, t, direct = op.objectFields(s, L)
	}
	lkey := L.Get(2)
	if !direct {
		ltime := L.Get(3)
		if op.timeField != "" {
			lkey, ltime = op.fields(L)
		}
		key, err = s.FromLua(lkey)
		check(err)
		switch tv := ltime.(type) {
		case glua.LNumber:
			t = unixTime(float64(tv))
		case *glua.LNilType:
			t = op.clock.Now() // no event time: arrival time
		default:
			lua.ArgsAt(L, "window", op.where).Raise("time must return Unix seconds (a number), got %s", lua.TypeName(tv))
		}
	}
	var v any
	if op.values {
		v, err = s.FromLua(L.Get(4))
		check(err)
	}
	var pre []state.WindowResult
	part := ""
	win := op.w
	if op.shards != nil {
		win = op.shards.forRecord(s, L, lua.ArgsAt(L, "window", op.where)) // one partition per windower
	}
	if rec := s.CurrentRecord(L); rec != nil {
		if p, ok := rec.MetaInt("partition"); ok {
			part = op.partName(p)
			if op.shards == nil {
				pre, err = op.partitions(s, L)
				check(err)
			}
		}
	}
	out, late, err := win.AddFrom(part, key, t, v)
	check(err)
	if len(pre) > 0 {
		out = append(pre, out...)
	}
	if late {
		s.CountLate(L)
		if op.late != nil {
			check(s.WriteTo(*op.late, L.Get(4), lkey, L.Get(5))) // no late sink when direct
		}
		return pushResults(s, L, op, pre)
	}
	return pushResults(s, L, op, out)
}

// objectFields reads the key and time of the record at argument 4 from its
// decoded object, when the runtime handed the operator the record's table
// unfilled (lua.State.RecordObject) and the fields are a string (or
// absent) and a number (or absent): what reading them from the table would
// give.
// Anything else fills the table, and ok is false.
func (op *windowOp) objectFields(s *lua.State, L *glua.LState) (key any, t time.Time, ok bool) {
	obj, ok := s.RecordObject(L, L.Get(4))
	if !ok {
		return nil, time.Time{}, false
	}
	kv, has := lua.ObjectField(obj, op.keyField)
	if _, isString := kv.(string); has && !isString { // JSON null included
		s.FillRecord(L, L.Get(4))
		return nil, time.Time{}, false
	}
	tv, has := lua.ObjectField(obj, op.timeField)
	if !has {
		tv = missing{}
	}
	switch x := tv.(type) {
	case float64:
		t = unixTime(x)
	case int64:
		if value.LongInt(x) {
			s.FillRecord(L, L.Get(4))
			return nil, time.Time{}, false
		}
		t = unixTime(float64(x))
	case missing:
		t = op.clock.Now() // no event time: arrival time
	default: // JSON null included
		s.FillRecord(L, L.Get(4))
		return nil, time.Time{}, false
	}
	return kv, t, true
}

// missing stands for an absent field in objectFields.
type missing struct{}

// fields returns the key and time of the record at argument 4 (meta at 5)
// when opts.key and opts.time are field getters: read from the record's
// table when it is a plain one, else by calling them (which raises what
// indexing a non-table raises, naming the script's line).
func (op *windowOp) fields(L *glua.LState) (key, t glua.LValue) {
	v := L.Get(4)
	if tbl, ok := v.(*glua.LTable); ok && tbl.Metatable == glua.LNil {
		return tbl.RawGetString(op.keyField), tbl.RawGetString(op.timeField)
	}
	call := func(fn *glua.LFunction) glua.LValue {
		L.Push(fn)
		L.Push(v)
		L.Push(L.Get(5))
		L.Call(2, 1)
		r := L.Get(-1)
		L.Pop(1)
		return r
	}
	t = call(op.timef) // time first, as window.lua calls them
	return call(op.keyf), t
}

// partName returns the name of Kafka partition p, made once.
func (op *windowOp) partName(p int64) string {
	if p >= 0 && p < int64(len(op.partNames)) && op.partNames[p] != "" {
		return op.partNames[p]
	}
	name := strconv.FormatInt(p, 10)
	if p >= 0 && p < 1<<16 {
		for int64(len(op.partNames)) <= p {
			op.partNames = append(op.partNames, "")
		}
		op.partNames[p] = name
	}
	return name
}

// partitions tells the windower which partitions the handler's source reads
// now, when that changed since the last record: a partition without records
// yet holds the watermark back (state.Windower.SetPartitions).
func (op *windowOp) partitions(s *lua.State, L *glua.LState) ([]state.WindowResult, error) {
	if src := s.HandlerSource(L); src != op.src {
		op.src = src
		op.parts, _ = src.(connectors.Partitioned)
		op.gen = 0
	}
	if op.parts == nil {
		return nil, nil
	}
	parts, gen := op.parts.Partitions()
	if gen == op.gen {
		return nil, nil
	}
	op.gen = gen
	names := make([]string, len(parts))
	for i, p := range parts {
		names[i] = strconv.FormatInt(int64(p), 10)
	}
	return op.w.SetPartitions(names)
}

// w:finish(): the input ended. A finite input closes every window; a run
// that is stopping (signal, stop()) keeps them for the next run.
func windowFinish(s *lua.State, L *glua.LState) int {
	op := checkWindower(L)
	a := lua.ArgsAt(L, "window", op.where)
	select {
	case <-op.rt.Stopping():
		// Kept in memory; the run's last commit stores them.
		return 0
	default:
	}
	var out []state.WindowResult
	for _, win := range op.windowers() {
		res, err := win.CloseAll()
		a.Check(err)
		out = append(out, res...)
	}
	return pushResults(s, L, op, out)
}

// w:idle(): close windows of keys quiet for opts.idle (the run's clock).
func windowIdle(s *lua.State, L *glua.LState) int {
	op := checkWindower(L)
	if op.idle <= 0 {
		return 0
	}
	var out []state.WindowResult
	for _, win := range op.windowers() {
		res, err := win.CloseIdle(op.clock.Now(), op.idle)
		lua.ArgsAt(L, "window", op.where).Check(err)
		out = append(out, res...)
	}
	return pushResults(s, L, op, out)
}

// windowers returns the operator's windower, or those of its shards.
func (op *windowOp) windowers() []*state.Windower {
	if op.shards != nil {
		return op.shards.all()
	}
	return []*state.Windower{op.w}
}

// w:every() -> seconds between idle checks, or nil.
func windowEvery(L *glua.LState) int {
	ud, _ := L.Get(1).(*glua.LUserData)
	op, _ := ud.Value.(*windowOp)
	if op == nil || op.idle <= 0 {
		L.Push(glua.LNil)
		return 1
	}
	L.Push(glua.LNumber(math.Max(op.idle.Seconds()/10, 0.05)))
	return 1
}

// pushResults pushes the list of results, or nothing for none: most records
// close no window, and window.lua treats a missing list as empty.
func pushResults(s *lua.State, L *glua.LState, op *windowOp, out []state.WindowResult) int {
	if len(out) == 0 {
		return 0
	}
	t := L.CreateTable(len(out), 0)
	for i, r := range out {
		rt := L.CreateTable(0, 4)
		rt.RawSetString("key", s.ToLua(r.Key))
		rt.RawSetString("start", glua.LNumber(float64(r.Start.UnixNano())/1e9))
		rt.RawSetString("end", glua.LNumber(float64(r.End.UnixNano())/1e9))
		rt.RawSetString("value", s.ToLua(r.Value))
		t.RawSetInt(i+1, rt)
	}
	L.Push(t)
	return 1
}
