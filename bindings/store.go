package bindings

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/streamctl/streamctl/lua"
	"github.com/streamctl/streamctl/state"
)

// stateStore is a run's state directory (Deps.StateDir). It is opened on
// first use, so a script that uses no cache, state.save, window or
// checkpoint creates and locks nothing, and it is closed at the end of the
// run that opened it. It hands out one luaCache per cache name, shared by
// every cache.open of that name and by the caches the runtime keeps for
// itself ("windows", "checkpoints"). Safe for concurrent use.
type stateStore struct {
	dir   string
	given *state.Store // Deps.State: opened by the caller, who closes it
	log   *slog.Logger // nil: the run's logger
	// fixtures (Deps.Fixtures) hear of each cache opened.
	fixtures Fixtures

	mu     sync.Mutex
	st     *state.Store         // nil until opened
	caches map[string]*luaCache // by name, while st is open
}

// open returns the open state directory of s's run, opening it first.
func (st *stateStore) open(s *lua.State) (*state.Store, error) {
	rt := s.Runtime()
	if rt == nil {
		return nil, errors.New("not available here")
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.openLocked(rt)
}

func (st *stateStore) openLocked(rt *lua.Runtime) (*state.Store, error) {
	if st.st != nil {
		return st.st, nil
	}
	opened := st.given
	if opened == nil {
		log := st.log
		if log == nil {
			log = rt.Logger()
		}
		var err error
		if opened, err = state.Open(st.dir, state.WithLogger(log)); err != nil {
			return nil, err
		}
	}
	st.st, st.caches = opened, map[string]*luaCache{}
	// The run commits what handlers write to it (api.md section 10).
	rt.UseState(opened)
	rt.OnClose(func(context.Context) error {
		st.mu.Lock()
		st.st, st.caches = nil, nil
		st.mu.Unlock()
		if opened == st.given {
			return nil
		}
		return opened.Close()
	})
	return opened, nil
}

// cache returns the cache called name, opening it with cfg the first time
// (a later call gets it with the config it has: callers compare).
func (st *stateStore) cache(s *lua.State, name string, cfg state.CacheConfig) (*luaCache, error) {
	rt := s.Runtime()
	if rt == nil {
		return nil, errors.New("not available here")
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	opened, err := st.openLocked(rt)
	if err != nil {
		return nil, err
	}
	if lc := st.caches[name]; lc != nil {
		return lc, nil
	}
	c, err := opened.Cache(name, cfg)
	if err != nil {
		return nil, err
	}
	lc := &luaCache{c: c}
	st.caches[name] = lc
	if st.fixtures != nil {
		st.fixtures.CacheOpened(name, c)
	}
	return lc, nil
}

// opened returns the run's state directory if it is open, else nil.
func (st *stateStore) opened() *state.Store {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.st
}
