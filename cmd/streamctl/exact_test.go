package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The exactly-once tests kill a stateful `streamctl run` with SIGKILL at
// random points, many times over one input, restart it each time, and
// compare the state it ends with against the exact answer computed from the
// input: a handler's state commits atomically with its input position, so
// no record is counted twice and none is lost (api.md section 10).

// exactKills is how many times the crash tests kill a run: at least 20, as
// the exactly-once issue asks; fewer under -short.
func exactKills() int {
	if testing.Short() {
		return 5
	}
	return 20
}

// newFastGroupBroker is newKafkaBroker whose groups notice a member killed
// with SIGKILL within a second: the scripts set session_timeout = "1s".
func newFastGroupBroker(t testing.TB, topics ...string) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DefaultNumPartitions(3),
		kfake.SeedTopics(3, topics...), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// killLoop runs `streamctl run ARGS...` in dir again and again, killing
// each run with SIGKILL after a random time in [minLife, maxLife), kills
// times. Each run must have started (its stderr is shown on failure).
func killLoop(t *testing.T, dir, brokers string, kills int, minLife, maxLife time.Duration, args ...string) {
	t.Helper()
	for i := 1; i <= kills; i++ {
		p := startStreamctl(t, fmt.Sprintf("run%d", i), dir, brokers, args...)
		life := minLife + time.Duration(rand.Int64N(int64(maxLife-minLife)))
		select {
		case <-p.done:
			t.Fatalf("run %d exited %d before it was killed; stderr:\n%s", i, p.code, p.stderr.String())
		case <-time.After(life):
		}
		p.signal(t, syscall.SIGKILL)
		p.wait(t, -1)
	}
}

// dumpCounts reads a cache of numbers with `streamctl state dump`.
func dumpCounts(t *testing.T, dir, cache string) map[string]int64 {
	t.Helper()
	cmd := exec.Command(streamctlBin(t), "state", "dump", "--state-dir", filepath.Join(dir, ".streamctl"), cache)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("state dump %s: %v", cache, err)
	}
	got := map[string]int64{}
	for _, line := range lines(string(out)) {
		var e struct {
			Key   any   `json:"key"`
			Value int64 `json:"value"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("dump line %q: %v", line, err)
		}
		got[fmt.Sprint(e.Key)] = e.Value
	}
	return got
}

func checkCounts(t *testing.T, got, want map[string]int64) {
	t.Helper()
	if !maps.Equal(got, want) {
		var diff []string
		for _, k := range slices.Sorted(maps.Keys(want)) {
			if got[k] != want[k] {
				diff = append(diff, fmt.Sprintf("%s: got %d, want %d", k, got[k], want[k]))
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				diff = append(diff, fmt.Sprintf("%s: got %d, want none", k, got[k]))
			}
		}
		var sum int64
		for _, v := range got {
			sum += v
		}
		t.Fatalf("counts differ (sum %d):\n%s", sum, strings.Join(diff, "\n"))
	}
}

// waitCommitted waits until the group committed the end of every partition
// of topic.
func waitCommitted(t *testing.T, cl *kgo.Client, group, topic string) {
	t.Helper()
	end := endOffsets(t, cl, topic, 3)
	deadline := time.Now().Add(kafkaTimeout)
	for {
		got := committedOffsets(t, cl, group, topic, 3)
		if maps.Equal(got, end) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s committed %v of %s, want %v", group, got, topic, end)
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
}

// kafkaCountScript counts the records of "in" per key with cache:incr,
// slowed down by pipe.throttle so that kills land mid-way.
const kafkaCountScript = `
local counts = cache.open("counts")
local opts = {commit_interval = "200ms"}
if args.rate then opts.pipe = {pipe.throttle{rate = tonumber(args.rate)}} end
handle(kafka.topic("in", {group = "eo", codec = "json", session_timeout = "1s"}), opts, function(v)
  counts:incr(v.k)
end)
`

// TestExactlyOnceKafkaCount: 3 partitions, keyed input, a count per key
// with cache:incr, killed at random points; the final counts are exact.
func TestExactlyOnceKafkaCount(t *testing.T) {
	t.Parallel()
	n := 24_000
	c := newFastGroupBroker(t, "in")
	cl := kafkaClient(t, c)
	brokers := c.ListenAddrs()[0]
	dir := writeScripts(t, map[string]string{"count.lua": kafkaCountScript})
	preload(t, c, "in", n)
	want := map[string]int64{}
	for i := 1; i <= n; i++ {
		want["k"+strconv.Itoa(i%seqKeys)]++
	}
	start := time.Now()
	kills := exactKills()
	// A restarted member waits about a second for the group to drop the
	// killed one; each run then consumes for up to 1.5s, at a rate that
	// leaves part of the input for the last run.
	rate := n / kills
	killLoop(t, dir, brokers, kills, 1300*time.Millisecond, 2800*time.Millisecond,
		"run", "count.lua", "--set", "rate="+strconv.Itoa(rate))
	committed := committedSum(t, cl, "eo", "in", 3)
	t.Logf("%d kills in %v; %d of %d records committed", kills, time.Since(start).Round(time.Millisecond), committed, n)
	if committed == 0 || committed >= int64(n) {
		t.Errorf("the kills did not land mid-way: %d of %d records committed", committed, n)
	}
	last := startStreamctl(t, "last", dir, brokers, "run", "count.lua")
	waitCommitted(t, cl, "eo", "in")
	last.signal(t, syscall.SIGINT)
	last.wait(t, 130)
	checkCounts(t, dumpCounts(t, dir, "counts"), want)
}

// fileCountScript follows a log file and counts its lines per level.
const fileCountScript = `
local counts = cache.open("levels")
handle(file{path = "app.log", follow = args.follow == "true"}, {commit_interval = "50ms"}, function(line)
  counts:incr(line:match("^(%a+)"))
end)
`

// TestExactlyOnceFileCount appends to a log file while a following
// `streamctl run` counts its lines per level and is killed at random
// points; a last run without follow reads from the committed position to
// the end: the counts are exact.
func TestExactlyOnceFileCount(t *testing.T) {
	t.Parallel()
	dir := writeScripts(t, map[string]string{"count.lua": fileCountScript})
	logPath := filepath.Join(dir, "app.log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{}
	levels := []string{"info", "warn", "error", "debug"}
	stop, written := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(written)
		rng := rand.New(rand.NewPCG(7, 7))
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			level := levels[rng.IntN(len(levels))]
			fmt.Fprintf(f, "%s line %d\n", level, i)
			want[level]++
			if i%50 == 49 {
				time.Sleep(time.Millisecond) // the writer's own pace: about 50k lines/s at most
			}
		}
	}()
	kills := exactKills()
	killLoop(t, dir, "", kills, 100*time.Millisecond, 400*time.Millisecond, "run", "count.lua", "--set", "follow=true")
	close(stop)
	<-written
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, n := range want {
		total += n
	}
	partial := dumpCounts(t, dir, "levels")
	var counted int64
	for _, n := range partial {
		counted += n
	}
	t.Logf("%d kills; %d lines written, %d counted before the last run", kills, total, counted)
	if counted == 0 || counted >= total {
		t.Errorf("the kills did not land mid-way: %d of %d lines counted", counted, total)
	}
	last := startStreamctl(t, "last", dir, "", "run", "count.lua")
	last.wait(t, 0)
	checkCounts(t, dumpCounts(t, dir, "levels"), want)
}

// kafkaWindowScript counts the records of "in" per key in 1s tumbling
// windows of their event time t and appends each window to out.ndjson.
const kafkaWindowScript = `
local opts = {commit_interval = "200ms", sink = file{path = "out.ndjson", codec = "json"},
  pipe = {window.tumbling{size = 1, time = function(v) return v.t end, key = function(v) return v.k end}}}
if args.rate then table.insert(opts.pipe, 1, pipe.throttle{rate = tonumber(args.rate)}) end
handle(kafka.topic("in", {group = "eow", codec = "json", session_timeout = "1s"}), opts, function(w)
  if w.key ~= "end" then return {k = w.key, start = w.start, n = w.value} end
end)
`

// TestExactlyOnceKafkaWindows: keyed records with increasing event times,
// produced over 3 partitions while a run counts them per key in tumbling
// windows and is killed at random points; then a record far in the future on
// every partition closes every window. Every window reaches the file with
// its exact count; a window may be written more than once (outputs are at
// least once), never with another count.
func TestExactlyOnceKafkaWindows(t *testing.T) {
	t.Parallel()
	c := newFastGroupBroker(t, "in")
	brokers := c.ListenAddrs()[0]
	dir := writeScripts(t, map[string]string{"windows.lua": kafkaWindowScript})
	cl := kafkaClient(t, c, kgo.DefaultProduceTopic("in"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	type key struct {
		k     string
		start float64
	}
	want := map[key]int64{}
	ctx, cancel := context.WithTimeout(context.Background(), 5*kafkaTimeout)
	defer cancel()
	// The input is produced while the runs consume, a few records at a
	// time, so that fetches hold records of every partition and windows
	// close during the runs.
	stop, produced := make(chan struct{}), make(chan error, 1)
	go func() {
		i := 0
		for {
			select {
			case <-stop:
				produced <- nil
				return
			default:
			}
			var recs []*kgo.Record
			for range 30 {
				i++
				k := "k" + strconv.Itoa(i%7)
				ts := float64(i) / 100 // 100 records a second of event time
				want[key{k, float64(int(ts))}]++
				recs = append(recs, &kgo.Record{Key: []byte(k), Partition: int32(i % 7 % 3),
					Value: fmt.Appendf(nil, `{"k":%q,"t":%g}`, k, ts)})
			}
			if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				produced <- err
				return
			}
			time.Sleep(20 * time.Millisecond) // the producer's pace: 1500 records a second
		}
	}()
	kills := exactKills()
	killLoop(t, dir, brokers, kills, 1300*time.Millisecond, 2800*time.Millisecond, "run", "windows.lua")
	close(stop)
	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	var ends []*kgo.Record
	for p := range int32(3) { // closes every window
		ends = append(ends, &kgo.Record{Key: []byte("end"), Partition: p, Value: []byte(`{"k":"end","t":1e9}`)})
	}
	if err := cl.ProduceSync(ctx, ends...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out.ndjson")); err == nil {
		t.Logf("%d windows written before the last run", len(lines(string(b))))
	}
	last := startStreamctl(t, "last", dir, brokers, "run", "windows.lua")
	waitCommitted(t, kafkaClient(t, c), "eow", "in")
	last.signal(t, syscall.SIGINT)
	last.wait(t, 130)

	b, err := os.ReadFile(filepath.Join(dir, "out.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[key]int64{}
	repeats := 0
	for _, line := range lines(string(b)) {
		var w struct {
			K     string  `json:"k"`
			Start float64 `json:"start"`
			N     int64   `json:"n"`
		}
		if err := json.Unmarshal([]byte(line), &w); err != nil {
			t.Fatalf("out.ndjson line %q: %v", line, err)
		}
		kk := key{w.K, w.Start}
		if prev, ok := got[kk]; ok {
			repeats++
			if prev != w.N {
				t.Errorf("window %v written with %d and then %d", kk, prev, w.N)
			}
		}
		got[kk] = w.N
	}
	t.Logf("%d kills: %d windows, %d written again after a kill", kills, len(got), repeats)
	for kk, n := range want {
		if got[kk] != n {
			t.Errorf("window %v: got %d, want %d", kk, got[kk], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d windows written, want %d", len(got), len(want))
	}
}

// TestExactlyOnceRebalance: two members of a group, each with its own
// state directory, count the records of "in" per key; the second joins
// while the first is counting. A revoked partition is committed (state and
// offsets) before it moves, and the new owner resumes from the group's
// offset: the two stores' counts add up to the exact counts.
func TestExactlyOnceRebalance(t *testing.T) {
	t.Parallel()
	n := 12_000
	c := newFastGroupBroker(t, "in")
	cl := kafkaClient(t, c)
	brokers := c.ListenAddrs()[0]
	src := map[string]string{"count.lua": kafkaCountScript}
	dirA, dirB := writeScripts(t, src), writeScripts(t, src)
	preload(t, c, "in", n)
	want := map[string]int64{}
	for i := 1; i <= n; i++ {
		want["k"+strconv.Itoa(i%seqKeys)]++
	}
	rate := strconv.Itoa(n / 8)
	a := startStreamctl(t, "a", dirA, brokers, "run", "count.lua", "--set", "rate="+rate)
	// Join once a has committed part of the input.
	waitUntil(t, fmt.Sprintf("a to commit more than %d records", n/8), func() bool {
		return committedSum(t, cl, "eo", "in", 3) > int64(n/8)
	})
	b := startStreamctl(t, "b", dirB, brokers, "run", "count.lua", "--set", "rate="+rate)
	waitCommitted(t, cl, "eo", "in")
	for _, p := range []*child{a, b} {
		p.signal(t, syscall.SIGINT)
		p.wait(t, 130)
	}
	got := dumpCounts(t, dirA, "counts")
	fromB := dumpCounts(t, dirB, "counts")
	var sumA, sumB int64
	for k, v := range fromB {
		got[k] += v
		sumB += v
	}
	for _, v := range got {
		sumA += v
	}
	t.Logf("a counted %d, b %d", sumA-sumB, sumB)
	if sumB == 0 {
		t.Errorf("b took no partition")
	}
	checkCounts(t, got, want)
}
