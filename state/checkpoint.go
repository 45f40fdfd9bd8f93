package state

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/streamctl/streamctl/value"
)

// Checkpoints
//
// A Checkpoint synchronises a dependent stream (say activity, enriched from
// a cache) with the dependency streams it relies on (say weather), with the
// semantics of Slipstream's Checkpoint (api.md §8). It is plain Go; the Lua
// binding (`checkpoint.new`) pauses and resumes the dependent source and
// runs on_downtime and on_recovery as Pulse and Heartbeat report.
//
//  1. The dependent calls Pulse(t, state) for each record: t is its event
//     time, state what is needed to reprocess from there (Kafka offsets per
//     partition). state is merged into the dependent's state (top-level
//     keys replaced) and t becomes the dependent's pulse time.
//  2. A dependency that has had no heartbeat yet is initialised at that
//     pulse: checkpoint time t, checkpoint state a copy of the dependent's
//     state. So there is no false alarm at start.
//  3. For each dependency, downtime = t - its checkpoint time. When it
//     exceeds the dependency's Threshold (strictly), a dependency that was
//     not down is marked down and reported once in PulseResult.NewlyDown;
//     the binding then pauses the dependent and calls on_downtime. Pulse
//     reports Down and a Downtime while any dependency is down.
//  4. Each dependency calls Heartbeat(name, t) with its event time: its
//     checkpoint time becomes t and its checkpoint state a copy of the
//     dependent's current state. A down dependency whose t is strictly later
//     than the dependent's pulse time is up again (a pulse whose t is before
//     a down dependency's checkpoint time, an out-of-order dependent record,
//     brings it up too). When no dependency is down any more after one was
//     detected down, the call reports that dependency as recovered: the
//     binding resumes the dependent and calls on_recovery, typically
//     topic:seek(dep.checkpoint_state). Since the dependent paused at the
//     pulse that detected the downtime, that state is the position of the
//     first record that may have been enriched with stale data.
//
// Everything (the dependent's state and pulse time, whether it is paused,
// and each dependency's checkpoint time, state and down flag) is written to
// the CheckpointStore in one atomic write before Pulse or Heartbeat
// returns, under the keys {"checkpoint", name, "dependent"} and
// {"checkpoint", name, "dep", dependency name}; NewCheckpoint loads it, so a
// restart keeps the checkpoint. A crash after the write but before the
// binding acted on the result (paused, called on_downtime or on_recovery)
// loses that action: after the restart, Paused says whether the dependent
// must start paused; on_downtime and on_recovery are not repeated.

// DefaultThreshold is the downtime threshold of a Dependency that sets none.
const DefaultThreshold = 10 * time.Minute

// Dependency is one stream the dependent relies on.
type Dependency struct {
	// Name identifies the dependency in Heartbeat and in the store.
	Name string
	// Threshold is the downtime that, when exceeded, marks the dependency
	// down; default 10m (DefaultThreshold).
	Threshold time.Duration
}

// CheckpointConfig configures a Checkpoint.
type CheckpointConfig struct {
	// Dependencies are the dependency streams, at least one, with distinct
	// names. Their order is the order in which Pulse checks them.
	Dependencies []Dependency
}

// validate checks cfg and fills in defaults.
func (cfg *CheckpointConfig) validate(name string) error {
	if name == "" {
		return errors.New("checkpoint: name must not be empty")
	}
	if len(cfg.Dependencies) == 0 {
		return fmt.Errorf("checkpoint %q: dependencies must not be empty", name)
	}
	deps := slices.Clone(cfg.Dependencies)
	seen := map[string]bool{}
	for i, d := range deps {
		switch {
		case d.Name == "":
			return fmt.Errorf("checkpoint %q: dependency %d has no name", name, i+1)
		case seen[d.Name]:
			return fmt.Errorf("checkpoint %q: dependency %q is listed twice", name, d.Name)
		case d.Threshold < 0:
			return fmt.Errorf("checkpoint %q: dependency %q: threshold must not be negative, got %s", name, d.Name, d.Threshold)
		case d.Threshold == 0:
			deps[i].Threshold = DefaultThreshold
		}
		seen[d.Name] = true
	}
	cfg.Dependencies = deps
	return nil
}

// DepState is a snapshot of a dependency: what Lua reads as dep.name,
// dep.checkpoint_time, dep.checkpoint_state and dep.down. The Checkpoint
// does not keep it: changing it changes nothing.
type DepState struct {
	Name string
	// Times in a DepState, and those State returns, are
	// time.Unix(0, UnixNano) of the given times: local time, no monotonic
	// reading, the same before and after a restart.
	// CheckpointTime is the event time of the last heartbeat (or of the
	// pulse that initialised the dependency); zero before either.
	CheckpointTime time.Time
	// CheckpointState is a copy of the dependent's state at that time; nil
	// before it.
	CheckpointState map[string]any
	// Down is whether the dependency is down.
	Down bool
}

// PulseResult is what Pulse reports.
type PulseResult struct {
	// Down is whether any dependency is down after this pulse: Lua's pulse
	// returns Downtime (in seconds) when Down, else nil.
	Down bool
	// Downtime is, when Down, the downtime of the first dependency (in
	// configuration order) whose downtime exceeds its threshold at this
	// pulse, or else of the first dependency that is down.
	Downtime time.Duration
	// NewlyDown are the dependencies this pulse marked down, in
	// configuration order: for each, the binding pauses the dependent (if
	// not paused yet) and calls on_downtime(cp, dep) once.
	NewlyDown []*DepState
	// Recovered is set when this pulse brought the last down dependency up
	// (an out-of-order dependent record before its checkpoint time): the
	// binding resumes the dependent and calls on_recovery(cp, dep).
	Recovered *DepState
}

// Checkpoint tracks the downtime of dependency streams for a dependent
// stream (see "Checkpoints" above). It is safe for concurrent use: the
// dependent's Pulse and the dependencies' Heartbeat may come from different
// goroutines. It starts no goroutine.
type Checkpoint struct {
	mu    sync.Mutex
	name  string
	store CheckpointStore
	deps  []*dep

	state     map[string]any // the dependent's state
	pulse     time.Time      // the dependent's last pulse time
	hasPulse  bool
	paused    bool // a downtime was detected and not recovered yet
	failed    error
	knownDeps string
}

type dep struct {
	name      string
	threshold time.Duration
	time      time.Time
	hasTime   bool
	state     map[string]any
	down      bool
}

// NewCheckpoint returns the checkpoint name for cfg, loading its state from
// store (a new checkpoint when there is none; dependencies not in the store
// start with no heartbeat). It reads the store and blocks while doing so.
// Errors: an invalid cfg (no dependencies, a duplicate or empty name, a
// negative threshold), a stored entry that is not a checkpoint's, store
// errors.
func NewCheckpoint(name string, cfg CheckpointConfig, store CheckpointStore) (*Checkpoint, error) {
	if err := cfg.validate(name); err != nil {
		return nil, err
	}
	if store == nil {
		return nil, fmt.Errorf("checkpoint %q: store must be set", name)
	}
	c := &Checkpoint{name: name, store: store, state: map[string]any{}}
	var names []string
	for _, d := range cfg.Dependencies {
		c.deps = append(c.deps, &dep{name: d.Name, threshold: d.Threshold})
		names = append(names, d.Name)
	}
	c.knownDeps = strings.Join(names, ", ")
	if err := c.load(); err != nil {
		return nil, fmt.Errorf("checkpoint %q: load: %w", name, err)
	}
	return c, nil
}

func (c *Checkpoint) dependentKey() any { return []any{"checkpoint", c.name, "dependent"} }
func (c *Checkpoint) depKey(d *dep) any { return []any{"checkpoint", c.name, "dep", d.name} }
func timeValue(t time.Time, ok bool) any {
	if !ok {
		return nil
	}
	return t.UnixNano()
}

// load reads the stored state.
func (c *Checkpoint) load() error {
	v, ok, err := c.store.Get(c.dependentKey())
	if err != nil {
		return err
	}
	if ok {
		e, ok := v.([]any)
		if !ok || len(e) != 3 {
			return fmt.Errorf("unexpected entry %s", FormatKey(c.dependentKey()))
		}
		var okT, okS, okP bool
		c.pulse, c.hasPulse, okT = timeOf(e[0])
		c.state, okS = stateOf(e[1])
		c.paused, okP = e[2].(bool)
		if !okT || !okS || !okP || c.state == nil {
			return fmt.Errorf("unexpected entry %s", FormatKey(c.dependentKey()))
		}
	}
	for _, d := range c.deps {
		v, ok, err := c.store.Get(c.depKey(d))
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		e, ok := v.([]any)
		if !ok || len(e) != 3 {
			return fmt.Errorf("unexpected entry %s", FormatKey(c.depKey(d)))
		}
		var okT, okS, okD bool
		d.time, d.hasTime, okT = timeOf(e[0])
		d.state, okS = stateOf(e[1])
		d.down, okD = e[2].(bool)
		if !okT || !okS || !okD {
			return fmt.Errorf("unexpected entry %s", FormatKey(c.depKey(d)))
		}
	}
	return nil
}

func timeOf(v any) (t time.Time, set, ok bool) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, false, true
	case int64:
		return time.Unix(0, x), true, true
	}
	return time.Time{}, false, false
}

// stateOf turns a stored state (an Object, or nil) back into a map.
func stateOf(v any) (map[string]any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case value.Object:
		m := make(map[string]any, len(x))
		for _, e := range x {
			m[e.Key] = e.Value
		}
		return m, true
	}
	return nil, false
}

// save writes the dependent's entry and those of deps in one batch.
func (c *Checkpoint) save(deps []*dep) error {
	puts := []KV{{c.dependentKey(), []any{timeValue(c.pulse, c.hasPulse), c.state, c.paused}}}
	for _, d := range deps {
		var st any
		if d.state != nil {
			st = d.state
		}
		puts = append(puts, KV{c.depKey(d), []any{timeValue(d.time, d.hasTime), st, d.down}})
	}
	if err := c.store.WriteBatch(puts, nil); err != nil {
		c.failed = fmt.Errorf("checkpoint %q: %w (restart to continue from the store)", c.name, err)
		return c.failed
	}
	return nil
}

// find returns the dependency named name; "" names the only one.
func (c *Checkpoint) find(name string) (*dep, error) {
	if name == "" {
		if len(c.deps) == 1 {
			return c.deps[0], nil
		}
		return nil, fmt.Errorf("checkpoint %q: heartbeat needs a dependency name: there are %d (%s)", c.name, len(c.deps), c.knownDeps)
	}
	for _, d := range c.deps {
		if d.name == name {
			return d, nil
		}
	}
	return nil, fmt.Errorf("checkpoint %q: unknown dependency %q (known: %s)", c.name, name, c.knownDeps)
}

// Heartbeat records that dependency name (may be "" when there is only
// one) has made progress to event time t: its checkpoint time becomes t and
// its checkpoint state a copy of the dependent's current state. A down
// dependency is up again when t is strictly later than the dependent's last
// pulse time (or there was no pulse); if it was the last one down, Heartbeat
// returns it as recovered (a snapshot) and the dependent counts as resumed:
// the binding resumes the dependent and calls on_recovery. Otherwise
// recovered is nil. It writes to the store once before returning (see
// "Checkpoints"). Errors: an unknown dependency name, store errors (after
// which every call fails).
func (c *Checkpoint) Heartbeat(name string, t time.Time) (recovered *DepState, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failed != nil {
		return nil, c.failed
	}
	d, err := c.find(name)
	if err != nil {
		return nil, err
	}
	t = time.Unix(0, t.UnixNano()) // as the store gives it back
	d.time, d.hasTime = t, true
	d.state = value.Clone(c.state)
	if d.down && (!c.hasPulse || t.After(c.pulse)) {
		d.down = false
		recovered = c.resumeIfCleared(d)
	}
	if err := c.save([]*dep{d}); err != nil {
		return nil, err
	}
	return recovered, nil
}

// resumeIfCleared un-pauses the dependent when no dependency is down any
// more, returning d as the recovered dependency.
func (c *Checkpoint) resumeIfCleared(d *dep) *DepState {
	if !c.paused || slices.ContainsFunc(c.deps, func(d *dep) bool { return d.down }) {
		return nil
	}
	c.paused = false
	return d.snapshot()
}

// Pulse records that the dependent is at event time t, merging state (may
// be nil) into the dependent's state, and checks every dependency in
// configuration order (see "Checkpoints"): it initialises dependencies
// without a heartbeat, marks those whose downtime t - checkpoint time
// exceeds their threshold down (reported once, in NewlyDown; the dependent
// then counts as paused), and brings up a down dependency whose checkpoint
// time is after t. The values of state are copied. It writes to the store
// once before returning. Errors: values outside the data model, store
// errors (after which every call fails).
func (c *Checkpoint) Pulse(t time.Time, state map[string]any) (PulseResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failed != nil {
		return PulseResult{}, c.failed
	}
	if _, err := EncodeValue(state); err != nil {
		return PulseResult{}, fmt.Errorf("checkpoint %q: state: %w", c.name, err)
	}
	for k, v := range state {
		c.state[k] = value.Clone(v)
	}
	t = time.Unix(0, t.UnixNano()) // as the store gives it back
	c.pulse, c.hasPulse = t, true

	var res PulseResult
	reported := false
	var recoveredDep *dep
	for _, d := range c.deps {
		if !d.hasTime {
			d.time, d.hasTime = t, true
			d.state = value.Clone(c.state)
		}
		downtime := t.Sub(d.time)
		if downtime > d.threshold {
			if !d.down {
				d.down = true
				c.paused = true
				res.NewlyDown = append(res.NewlyDown, d.snapshot())
			}
			if !reported {
				res.Downtime, reported = downtime, true
			}
			continue
		}
		if d.down && d.time.After(t) {
			d.down = false
			recoveredDep = d
		}
	}
	if recoveredDep != nil {
		res.Recovered = c.resumeIfCleared(recoveredDep)
	}
	for _, d := range c.deps {
		if d.down {
			if !res.Down && !reported {
				res.Downtime = t.Sub(d.time)
			}
			res.Down = true
		}
	}
	if err := c.save(c.deps); err != nil {
		return PulseResult{}, err
	}
	return res, nil
}

func (d *dep) snapshot() *DepState {
	s := &DepState{Name: d.name, CheckpointState: value.Clone(d.state), Down: d.down}
	if d.hasTime {
		s.CheckpointTime = d.time
	}
	return s
}

// Name returns the checkpoint's name.
func (c *Checkpoint) Name() string { return c.name }

// Dep returns a snapshot of the dependency name ("" for the only one), for
// Lua's cp.deps or logging; errors as for Heartbeat.
func (c *Checkpoint) Dep(name string) (*DepState, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.find(name)
	if err != nil {
		return nil, err
	}
	return d.snapshot(), nil
}

// Paused reports whether a downtime was detected and has not recovered:
// the dependent should be paused. After a restart the binding pauses the
// dependent at start when it is true.
func (c *Checkpoint) Paused() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paused
}
