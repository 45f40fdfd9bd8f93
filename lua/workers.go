package lua

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"sync/atomic"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/exitcode"
)

func (h *Handler) startWorkers() {
	rt := h.rt
	n := h.spec.Workers
	chans := make([]chan connectors.Record, n)
	var wg sync.WaitGroup
	// Virtual clock: each worker counts the end of its input as a record
	// (below); the last one to finish leaves it to the dispatcher, which
	// ends it once it told the scheduler.
	var remaining atomic.Int32
	remaining.Store(int32(n))
	var last *instance
	for i := 0; i < n; i++ {
		chans[i] = make(chan connectors.Record, bufferSize/n+1)
		inst := h.workers[i]
		wg.Add(1)
		go func(ch chan connectors.Record) {
			defer wg.Done()
			for rec := range ch {
				if rt.failed() != nil {
					rt.recordDone()
					inst.vq.add(-1)
					continue
				}
				inst.runDirect(queued{rec: rec, kind: stepRecord})
			}
			inst.runDirect(queued{kind: stepFlush})
			if remaining.Add(-1) > 0 {
				inst.vq.add(-1)
			} else {
				last = inst
			}
		}(chans[i])
	}
	var keyer *instance
	if h.spec.Key != nil {
		keyer = h.workers[n]
	}
	rt.workerWG.Add(1)
	go func() {
		defer rt.workerWG.Done()
		next := 0
		for rec := range h.in {
			i := next
			next = (next + 1) % n
			if keyer != nil && rec.Err == nil {
				k, err := keyer.key(&rec)
				if err != nil {
					h.workers[0].fail(&rec, err, exitcode.Runtime)
					rt.recordDone()
					h.vq.add(-1)
					continue
				}
				i = int(k % uint32(n))
			} else if p, ok := rec.MetaField("partition"); ok {
				i = int(hashString(fmt.Sprint(p)) % uint32(n))
			}
			h.workers[i].vq.add(1) // the worker's now, before it can take it
			h.vq.add(-1)
			chans[i] <- rec
		}
		for i, c := range chans {
			h.workers[i].vq.add(1) // the end of the input, now the worker's
			close(c)
		}
		h.vq.add(-1) // the end of the input (feed.run)
		wg.Wait()
		rt.sch.post(h.setFinished)
		last.vq.add(-1)
	}()
}

func hashString(s string) uint32 {
	f := fnv.New32a()
	f.Write([]byte(s))
	return f.Sum32()
}

// runDirect runs one step in a worker state, without a coroutine.
func (in *instance) runDirect(q queued) {
	kind, v, m, ok := in.prepare(&q)
	if !ok {
		return
	}
	in.s.workerCur = in
	err := in.callDirect(kind, v, m)
	for err != nil && !errors.Is(err, ErrStopped) && in.cur != nil && in.mayRetry() {
		if werr := in.waitRetry(); werr != nil {
			err = ErrStopped
			break
		}
		kind, v, m = in.args()
		err = in.callDirect(kind, v, m)
	}
	in.s.workerCur = nil
	rec := in.cur
	in.cur = nil
	defer in.recordDone()
	switch {
	case errors.Is(err, ErrStopped):
		if in.counted {
			in.h.rt.commits.taint()
		}
		in.finishAck(ErrStopped)
		return
	case err != nil:
		in.scriptError(rec, err)
	}
	in.finishAck(nil)
}

// key computes the routing hash of rec with the handler's key function.
func (in *instance) key(rec *connectors.Record) (uint32, error) {
	v := in.s.ToLua(rec.Value)
	var meta glua.LValue = glua.LNil
	if takesMeta(in.spec.Key) { // key(v) needs no meta table
		meta = in.s.MetaTable(rec)
	}
	res, err := in.s.CallValues(in.spec.Key, 1, v, meta)
	if err != nil {
		return 0, fmt.Errorf("%w (key of record %s)", err, rec.Where())
	}
	var b strings.Builder
	b.WriteString(res[0].Type().String())
	b.WriteByte(':')
	b.WriteString(res[0].String())
	return hashString(b.String()), nil
}
