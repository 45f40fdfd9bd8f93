package http

import (
	"bufio"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The Prometheus text exposition format (version 0.0.4) is written here
// rather than with client_golang: that library initialises its process
// collector and protobuf registry when the package loads, which costs every
// streamctl command (pipe included) about 3 ms of start-up for a feature
// only http.serve uses. What is exported is read at scrape time, from the
// counters where they live and from runtime/metrics, so nothing is
// registered ahead and nothing runs at start-up.

// MetricsWriter writes a run's own metric families in the Prometheus text
// format, read at scrape time; WriteFamily writes one family. A Server with
// ServerConfig.Metrics serves them at /metrics, followed by the Go runtime
// and process families (go_*, process_*).
type MetricsWriter func(w io.Writer)

// Sample is one series of a metric family: label names and values in pairs
// ("handler", "enrich") and the value.
type Sample struct {
	Labels []string
	Value  float64
}

// WriteFamily writes a metric family: its HELP and TYPE lines, then one
// line per sample. typ is "counter" or "gauge". Label values and the help
// text are escaped; a family without samples writes nothing.
func WriteFamily(w io.Writer, name, typ, help string, samples []Sample) {
	if len(samples) == 0 {
		return
	}
	line := make([]byte, 0, 128)
	line = append(line, "# HELP "+name+" "+helpEscaper.Replace(help)+"\n# TYPE "+name+" "+typ+"\n"...)
	for _, s := range samples {
		line = append(line, name...)
		for i := 0; i+1 < len(s.Labels); i += 2 {
			sep := byte(',')
			if i == 0 {
				sep = '{'
			}
			line = append(line, sep)
			line = append(line, s.Labels[i]+`="`+labelEscaper.Replace(s.Labels[i+1])+`"`...)
		}
		if len(s.Labels) >= 2 {
			line = append(line, '}')
		}
		line = append(line, ' ')
		line = appendValue(line, s.Value)
		line = append(line, '\n')
		w.Write(line)
		line = line[:0]
	}
}

// appendValue formats v as the text format expects: integers without an
// exponent, +Inf, -Inf and NaN spelled out.
func appendValue(b []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case v == math.Trunc(v) && math.Abs(v) < 1<<53:
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

var (
	// Label values escape backslash, double quote and newline; HELP text
	// escapes backslash and newline (the text format's rules).
	labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

// writeMetrics answers /metrics: the run's families, then the Go runtime
// and process families.
func writeMetrics(w io.Writer, own MetricsWriter) {
	bw := bufio.NewWriter(w)
	own(bw)
	writeRuntimeMetrics(bw)
	bw.Flush()
}

// processStart is when this process started, near enough (when the
// package was initialised).
var processStart = time.Now()

// runtimeSamples are the runtime/metrics read at each scrape, with the
// family each one is exported as.
var runtimeSamples = []struct{ key, name, typ, help string }{
	{"/sched/goroutines:goroutines", "go_goroutines", "gauge", "Number of goroutines that currently exist."},
	{"/sched/gomaxprocs:threads", "go_sched_gomaxprocs_threads", "gauge", "The current runtime.GOMAXPROCS setting."},
	{"/memory/classes/heap/objects:bytes", "go_memstats_heap_alloc_bytes", "gauge", "Bytes of allocated heap objects."},
	{"/memory/classes/total:bytes", "go_memstats_sys_bytes", "gauge", "Bytes of memory obtained from the OS."},
	{"/gc/cycles/total:gc-cycles", "go_gc_cycles_total", "counter", "Completed GC cycles."},
	{"/gc/heap/allocs:bytes", "go_memstats_alloc_bytes_total", "counter", "Bytes allocated in the heap, in all."},
}

// writeRuntimeMetrics writes the Go runtime families (runtime/metrics) and
// the process ones: CPU time, resident memory and open files (the last two
// from /proc, on Linux only) and the start time.
func writeRuntimeMetrics(w io.Writer) {
	samples := make([]metrics.Sample, len(runtimeSamples))
	for i, r := range runtimeSamples {
		samples[i].Name = r.key
	}
	metrics.Read(samples)
	for i, r := range runtimeSamples {
		var v float64
		switch samples[i].Value.Kind() {
		case metrics.KindUint64:
			v = float64(samples[i].Value.Uint64())
		case metrics.KindFloat64:
			v = samples[i].Value.Float64()
		default:
			continue // not in this Go version
		}
		WriteFamily(w, r.name, r.typ, r.help, []Sample{{Value: v}})
	}
	WriteFamily(w, "go_info", "gauge", "Information about the Go environment.",
		[]Sample{{Labels: []string{"version", runtime.Version()}, Value: 1}})

	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		WriteFamily(w, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", []Sample{{Value: cpu}})
	}
	if statm, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(statm)); len(f) > 1 {
			if pages, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				WriteFamily(w, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
					[]Sample{{Value: float64(pages * uint64(os.Getpagesize()))}})
			}
		}
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		WriteFamily(w, "process_open_fds", "gauge", "Number of open file descriptors.", []Sample{{Value: float64(len(fds))}})
	}
	WriteFamily(w, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
		[]Sample{{Value: float64(processStart.UnixNano()) / 1e9}})
}
