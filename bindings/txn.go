package bindings

import (
	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/kafka"
	"github.com/streamctl/streamctl/lua"
)

// Exactly-once outputs (api.md section 11): a handler of a kafka.topic
// with exactly_once = true produces its outputs to Kafka sinks, and its
// topic:send calls, in the run's Kafka transaction, which commits them with
// the changelogs and the input offsets.

// exactlyOnceTxn returns the transaction of src when it is an exactly-once
// Kafka source, else nil.
func exactlyOnceTxn(src connectors.Source) *kafka.Txn {
	t, ok := src.(*kafka.Topic)
	if !ok || !t.ExactlyOnce() {
		return nil
	}
	return t.Transaction()
}

// routeExactlyOnce makes the Kafka sinks of a handler of an exactly-once
// source (its outputs and its dead-letter sink) produce in the source's
// transaction.
func routeExactlyOnce(s *lua.State, spec *lua.HandlerSpec) error {
	x := exactlyOnceTxn(spec.Source)
	if x == nil {
		return nil
	}
	route := func(ref *lua.SinkRef) error {
		t := kafkaSinkTopic(ref.Go)
		if t == nil {
			return nil
		}
		sink, err := x.SinkFor(t, s.Runtime().AddSink)
		ref.Go = sink
		return err
	}
	for i := range spec.Sinks {
		if err := route(&spec.Sinks[i]); err != nil {
			return err
		}
	}
	if spec.ErrSink != nil {
		return route(spec.ErrSink)
	}
	return nil
}

// kafkaSinkTopic returns the Kafka topic behind a sink (as the run
// registered it: wrapped for workers), nil for other sinks.
func kafkaSinkTopic(s connectors.Sink) *kafka.Topic {
	for s != nil {
		if t, ok := s.(*kafka.Topic); ok {
			return t
		}
		u, ok := s.(interface{ Unwrap() connectors.Sink })
		if !ok {
			return nil
		}
		s = u.Unwrap()
	}
	return nil
}
