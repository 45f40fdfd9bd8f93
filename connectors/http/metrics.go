package http

import (
	"errors"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds streamctl's Prometheus metrics, served by a Server whose
// ServerConfig.Registry is Registry():
//
//	streamctl_records_in_total{handler}       records a handler received
//	streamctl_records_out_total{handler}      records it wrote to its sinks
//	streamctl_records_errors_total{handler}   records that failed (bad input, handler errors)
//	streamctl_records_skipped_total{handler}  failed records skipped by on_error="skip"
//	streamctl_records_late_total{handler}     late records dropped by windows
//	streamctl_kafka_consumer_lag{topic,partition}  high watermark - committed offset
//
// plus the Go runtime and process collectors. Safe for concurrent use; the
// counters are lock-free once looked up, so callers on the hot path keep the
// *HandlerMetrics that Handler returns.
type Metrics struct {
	reg                          *prometheus.Registry
	in, out, errs, skipped, late *prometheus.CounterVec
	lag                          *prometheus.GaugeVec
	handlers                     sync.Map // handler name -> *HandlerMetrics
}

// HandlerMetrics are one handler's counters; Add and Inc on them are atomic
// and lock-free.
type HandlerMetrics struct {
	In, Out, Errors, Skipped, Late prometheus.Counter
}

// NewMetrics registers the metrics in reg (nil: a new registry). Registering
// on a registry that already has them (a second NewMetrics) reuses the
// existing collectors.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	counter := func(name, help string) *prometheus.CounterVec {
		return register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "streamctl", Name: name, Help: help,
		}, []string{"handler"}))
	}
	m := &Metrics{
		reg:     reg,
		in:      counter("records_in_total", "Records received by a handler."),
		out:     counter("records_out_total", "Records a handler wrote to its sinks."),
		errs:    counter("records_errors_total", "Records that failed in a handler (bad input or handler error)."),
		skipped: counter("records_skipped_total", "Failed records skipped by on_error=\"skip\"."),
		late:    counter("records_late_total", "Late records dropped by a window."),
		lag: register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "streamctl", Name: "kafka_consumer_lag",
			Help: "Records between the committed offset and the high watermark of a partition.",
		}, []string{"topic", "partition"})),
	}
	register(reg, collectors.NewGoCollector())
	register(reg, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// register registers c, returning the collector already registered under
// the same descriptors if there is one.
func register[C prometheus.Collector](reg *prometheus.Registry, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		// Only a conflicting, differently typed metric of the same name
		// gets here: a programming error in the caller.
		panic(err)
	}
	return c
}

// Registry returns the registry, for ServerConfig.Registry.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler returns the counters of handler, creating them on first use (they
// then show as 0). Keep the result: its counters cost one atomic add.
func (m *Metrics) Handler(handler string) *HandlerMetrics {
	if h, ok := m.handlers.Load(handler); ok {
		return h.(*HandlerMetrics)
	}
	h := &HandlerMetrics{
		In:      m.in.WithLabelValues(handler),
		Out:     m.out.WithLabelValues(handler),
		Errors:  m.errs.WithLabelValues(handler),
		Skipped: m.skipped.WithLabelValues(handler),
		Late:    m.late.WithLabelValues(handler),
	}
	actual, _ := m.handlers.LoadOrStore(handler, h)
	return actual.(*HandlerMetrics)
}

// RecordsIn returns handler's records-in counter (Handler(handler).In).
func (m *Metrics) RecordsIn(handler string) prometheus.Counter { return m.Handler(handler).In }

// RecordsOut returns handler's records-out counter.
func (m *Metrics) RecordsOut(handler string) prometheus.Counter { return m.Handler(handler).Out }

// RecordErrors returns handler's error counter.
func (m *Metrics) RecordErrors(handler string) prometheus.Counter { return m.Handler(handler).Errors }

// RecordsSkipped returns handler's skipped counter.
func (m *Metrics) RecordsSkipped(handler string) prometheus.Counter {
	return m.Handler(handler).Skipped
}

// RecordsLate returns handler's late-record counter.
func (m *Metrics) RecordsLate(handler string) prometheus.Counter { return m.Handler(handler).Late }

// KafkaLag returns the lag gauge of a topic partition; Set it after each
// fetch. The lookup takes a lock: keep the gauge per assigned partition.
func (m *Metrics) KafkaLag(topic string, partition int32) prometheus.Gauge {
	return m.lag.WithLabelValues(topic, strconv.Itoa(int(partition)))
}

// DeleteKafkaLag removes the gauge of a partition no longer assigned (after
// a rebalance), so a stale lag is not reported.
func (m *Metrics) DeleteKafkaLag(topic string, partition int32) {
	m.lag.DeleteLabelValues(topic, strconv.Itoa(int(partition)))
}
