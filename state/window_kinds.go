package state

import (
	"container/heap"
	"fmt"
	"sort"
	"time"
)

// Assigning records to windows, one method per kind (see "Windows" in
// window.go): Add calls them with the record's key state and the watermark.

// addFixed handles tumbling and hopping windows.
func (w *Windower) addFixed(ks *keyState, kid []byte, ts, wm int64, v any) ([]WindowResult, bool, error) {
	step := w.size
	if w.cfg.Kind == Hopping {
		step = w.hop
	}
	// Window starts s: multiples of step with s <= ts < s+size, ascending.
	last := floorDiv(ts, step) * step
	first := last
	lower := satAdd(ts, -w.size, 0)
	for first-step > lower && first-step <= first {
		first -= step
	}
	type change struct {
		x   *win // nil: new window at start
		s   int64
		acc any
	}
	var chs []change
	for s := first; s <= last; s += step {
		end := satAdd(s, w.size, 0)
		if end <= wm {
			continue // closed
		}
		var x *win
		if ks != nil {
			for _, c := range ks.wins {
				if c.start == s {
					x = c
					break
				}
			}
		}
		acc := w.cfg.Agg.Init()
		if x != nil {
			acc = x.acc
		}
		acc, err := w.cfg.Agg.Add(acc, v)
		if err != nil {
			return nil, false, err
		}
		chs = append(chs, change{x, s, acc})
		if s == last {
			break
		}
	}
	if len(chs) == 0 {
		return nil, true, nil
	}
	var out []WindowResult
	if w.cfg.Emit == EmitUpdate {
		for _, c := range chs {
			r, err := w.cfg.Agg.Result(c.acc)
			if err != nil {
				return nil, false, err
			}
			out = append(out, WindowResult{Start: time.Unix(0, c.s), End: time.Unix(0, satAdd(c.s, w.size, 0)), Value: r})
		}
	}
	if ks == nil {
		ks = w.newKeyState(kid)
	}
	for i, c := range chs {
		x := c.x
		if x == nil {
			x = &win{ks: ks, start: c.s, end: satAdd(c.s, w.size, 0)}
			w.insertWin(x)
		}
		x.acc = c.acc
		w.markDirty(x)
		if out != nil {
			out[i].Key = ks.key
		}
	}
	return out, false, nil
}

// addSession handles session windows.
func (w *Windower) addSession(ks *keyState, kid []byte, ts, wm int64, v any) ([]WindowResult, bool, error) {
	// Open sessions within gap of ts: contiguous in start order.
	var cands []*win
	if ks != nil {
		for _, c := range ks.wins {
			if satAdd(c.start, -w.gap, 0) <= ts && ts <= satAdd(c.end, w.gap, 0) {
				cands = append(cands, c)
			}
		}
	}
	start, end := ts, ts
	for _, c := range cands {
		start, end = min(start, c.start), max(end, c.end)
	}
	if satAdd(end, w.gap, 1) <= wm {
		return nil, true, nil
	}
	var acc any
	var err error
	if len(cands) == 0 {
		acc = w.cfg.Agg.Init()
	} else {
		acc = cands[0].acc
		for _, c := range cands[1:] {
			if acc, err = w.cfg.Agg.Merge(acc, c.acc); err != nil {
				return nil, false, err
			}
		}
	}
	if acc, err = w.cfg.Agg.Add(acc, v); err != nil {
		return nil, false, err
	}
	var out []WindowResult
	if w.cfg.Emit == EmitUpdate {
		r, err := w.cfg.Agg.Result(acc)
		if err != nil {
			return nil, false, err
		}
		out = []WindowResult{{Start: time.Unix(0, start), End: time.Unix(0, end), Value: r}}
	}
	if ks == nil {
		ks = w.newKeyState(kid)
	}
	if len(cands) == 1 && cands[0].start == start {
		x := cands[0] // extended forward (or not at all): same store key
		x.acc = acc
		if x.end != end {
			x.end = end
			w.schedule(x)
		}
		w.markDirty(x)
	} else {
		for _, c := range cands {
			w.removeWin(c)
		}
		if w.keys[ks.kid] != ks { // removeWin dropped it
			w.keys[ks.kid] = ks
		}
		x := &win{ks: ks, start: start, end: end, acc: acc}
		w.insertWin(x)
		w.markDirty(x)
	}
	if out != nil {
		out[0].Key = ks.key
	}
	return out, false, nil
}

// addSliding handles sliding windows.
func (w *Windower) addSliding(ks *keyState, kid []byte, ts, wm int64, v any) ([]WindowResult, bool, error) {
	if ts < wm {
		return nil, true, nil
	}
	if _, err := EncodeValue(v); err != nil {
		return nil, false, fmt.Errorf("sliding windows buffer values: %w", err)
	}
	from := satAdd(ts, -w.size, 0)
	acc := w.cfg.Agg.Init()
	var err error
	if ks != nil {
		i := sort.Search(len(ks.buf), func(i int) bool { return ks.buf[i].t >= from })
		for _, r := range ks.buf[i:] {
			if r.t > ts {
				break
			}
			if acc, err = w.cfg.Agg.Add(acc, r.v); err != nil {
				return nil, false, err
			}
		}
	}
	if acc, err = w.cfg.Agg.Add(acc, v); err != nil {
		return nil, false, err
	}
	res, err := w.cfg.Agg.Result(acc)
	if err != nil {
		return nil, false, err
	}
	if ks == nil {
		ks = w.newKeyState(kid)
	}
	w.seq++
	w.metaDirty = true
	r := slideRec{t: ts, seq: w.seq, v: v}
	ks.insertRec(r)
	w.recs = append(w.recs, pendingRec{ks, r})
	heap.Push(&w.closes, closeItem{at: satAdd(ts, w.size, 1), ks: ks})
	return []WindowResult{{Key: ks.key, Start: time.Unix(0, from), End: time.Unix(0, ts), Value: res}}, false, nil
}
