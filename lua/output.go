package lua

import (
	"context"
	"errors"
	"fmt"

	glua "github.com/yuin/gopher-lua"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/exitcode"
)

// errRunFailed acks records that were in flight when the run failed.
var errRunFailed = errors.New("the run failed before the record was done")

// Error policies of a handler (opts.on_error).
const (
	OnErrorStop = "stop"
	OnErrorSkip = "skip"
	OnErrorSink = "sink"
)

// finishAck ends the current record's step for its ack tracker. A record
// that failed under on_error = "stop" is not acked: the run stops, and an
// at-least-once source must deliver it again.
func (in *instance) finishAck(err error) {
	t := in.ack
	in.ack = nil
	if t == nil {
		return
	}
	if in.h.rt.failed() != nil && err == nil {
		err = errRunFailed
	}
	t.done(err)
}

func (in *instance) scriptError(rec *connectors.Record, err error) {
	if rec == nil {
		in.h.rt.Fail(err)
		return
	}
	in.fail(rec, fmt.Errorf("%w (record %s)", err, rec.Where()), exitcode.Of(err))
}

// fail applies the handler's on_error policy to a record that failed.
func (in *instance) fail(rec *connectors.Record, err error, code int) {
	h := in.h
	h.nErr.Add(1)
	switch in.spec.OnError {
	case OnErrorSkip:
		h.nSkipped.Add(1)
		if h.logged.Add(1) <= 10 {
			h.rt.log.Warn("record skipped", "handler", h.name, "error", err.Error())
		}
	case OnErrorSink:
		if in.spec.DeadLetterHeaders {
			if werr := in.writeDeadLetter(rec, err); werr != nil {
				h.rt.Fail(fmt.Errorf("dead-letter sink of %s: %w", h.name, werr))
			}
			return
		}
		L := in.s.L
		t := L.CreateTable(0, 6)
		t.RawSetString("error", glua.LString(err.Error()))
		t.RawSetString("handler", glua.LString(h.name))
		t.RawSetString("source", glua.LString(rec.Source))
		t.RawSetString("attempts", glua.LNumber(in.attempt+1))
		switch {
		case rec.Err != nil:
			t.RawSetString("value", glua.LString(rec.Raw))
		default:
			t.RawSetString("value", in.s.ToLua(rec.Value))
		}
		meta := in.s.MetaTable(rec)
		if rec.Pos > 0 {
			meta.RawSetString("pos", glua.LNumber(rec.Pos))
		}
		t.RawSetString("meta", meta)
		if werr := in.writeTo(*in.spec.ErrSink, connectors.WritesAcked(in.spec.ErrSink.Go), t, glua.LNil, meta); werr != nil {
			h.rt.Fail(fmt.Errorf("dead-letter sink of %s: %w", h.name, werr))
		}
	default:
		h.rt.Fail(&exitcode.Error{Code: code, Err: err})
	}
}

// current returns the instance whose handler runs in L (for emit).
func (s *State) current(L *glua.LState) *instance {
	if s.IsMain() {
		if t := s.rt.sch.tasks[L]; t != nil {
			return t.inst
		}
		return nil
	}
	return s.workerCur
}

// Emit writes v (with key) to the sinks of the handler running in L, or to
// stdout outside handlers (hooks, the top level). Raises on sink errors.
func (s *State) Emit(L *glua.LState, v, key glua.LValue) {
	if v == glua.LNil {
		return
	}
	if in := s.current(L); in != nil {
		in.write(L, v, key, in.meta)
		return
	}
	if s.rt == nil {
		L.RaiseError("emit: only allowed while a handler runs")
	}
	if s.Worker > 0 && s.topLevel {
		return // worker states re-run the top level silently
	}
	if err := s.WriteStdout(v); err != nil {
		L.RaiseError("emit: %v", err)
	}
}

// raiseOutputError raises an error of writing a handler's output,
// positioned: a sink function's own error already names its line; otherwise
// the line where the handler function is defined stands in (the driver chunk
// has none).
func (in *instance) raiseOutputError(L *glua.LState, err error) {
	var se *ScriptError
	if errors.As(err, &se) {
		se.raise(L)
	}
	line := 0
	if p := in.spec.Fn.Proto; p != nil {
		line = p.LineDefined
	}
	L.Error(glua.LString(fmt.Sprintf("%s:%d: handler %s: %v", in.s.scriptName(), line, in.h.name, err)), 0)
}

// write sends one output to every sink of the instance, raising in L on error.
func (in *instance) write(L *glua.LState, v, key, meta glua.LValue) {
	if err := in.writeAll(v, key, meta); err != nil {
		var se *ScriptError
		if errors.As(err, &se) {
			se.raise(L)
		}
		L.RaiseError("%v", err)
	}
}

func (in *instance) writeAll(v, key, meta glua.LValue) error {
	in.h.nOut.Add(1)
	for i := range in.spec.Sinks {
		if err := in.writeTo(in.spec.Sinks[i], in.acked[i], v, key, meta); err != nil {
			return err
		}
	}
	return nil
}

// writeTo writes one output of the current record to ref; acked is
// connectors.WritesAcked(ref.Go).
func (in *instance) writeTo(ref SinkRef, acked bool, v, key, meta glua.LValue) error {
	return in.s.writeRef(ref, v, key, meta, in.cur, in.ack, acked)
}

// writeRef writes v (with key) to ref. With an ack and a sink that acks its
// writes (acked), the record's Ack waits for this write's.
func (s *State) writeRef(ref SinkRef, v, key, meta glua.LValue, src *connectors.Record, ack *ackTracker, acked bool) error {
	if ref.Fn != nil {
		_, err := s.CallValues(ref.Fn, 0, v, key, meta)
		return err // a *ScriptError naming the sink function's line
	}
	if ref.Encode != nil {
		res, err := s.CallValues(ref.Encode, 1, v)
		if err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		v = res[0]
	}
	if ref.NeedKey && key == glua.LNil {
		return errors.New("sink needs a key: return value, key (or emit(value, key))")
	}
	gv, err := s.FromLua(v)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	rec := connectors.Record{Value: gv}
	if key != glua.LNil {
		if rec.Key, err = s.FromLua(key); err != nil {
			return fmt.Errorf("output key: %w", err)
		}
	}
	if src != nil {
		rec.Time = src.Time
		rec.Source = src.Source
		rec.Pos = src.Pos
	}
	if ack != nil && acked {
		rec.Ack = ack.output()
	}
	return ref.Go.Write(context.Background(), rec)
}

// WriteTo writes one value to a sink of this state (late records of a
// window, for instance), outside any handler's outputs.
func (s *State) WriteTo(ref SinkRef, v, key, meta glua.LValue) error {
	return s.writeRef(ref, v, key, meta, nil, nil, false)
}

// WriteStdout writes v to the run's stdout sink (print, emit outside handlers).
func (s *State) WriteStdout(v glua.LValue) error {
	return s.writeRef(SinkRef{Go: s.rt.stdoutSink}, v, glua.LNil, glua.LNil, nil, nil, false)
}
