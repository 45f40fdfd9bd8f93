package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamctl/streamctl/state"
)

// The scale-out tests run several `streamctl run` processes of one
// consumer group, each with its own state directory (each a machine),
// against an in-process broker (api.md section 11): partitioned caches move
// with their partitions through changelog topics, and exactly-once sources
// commit outputs, changelogs and offsets in one transaction.

// scalePartitions is the partition count of the scale-out tests' input.
const scalePartitions = 6

// newScaleBroker is newFastGroupBroker with topics of n partitions.
func newScaleBroker(t testing.TB, n int32, topics ...string) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DefaultNumPartitions(int(n)),
		kfake.SeedTopics(n, topics...), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// waitUntil polls cond every 20ms until it holds, failing after
// kafkaTimeout with what.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(kafkaTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: gave up after %v", what, kafkaTimeout)
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
}

// waitAllCommitted waits until group committed the end of every partition
// of topic.
func waitAllCommitted(t testing.TB, cl *kgo.Client, group, topic string) {
	t.Helper()
	end := endOffsets(t, cl, topic, scalePartitions)
	waitUntil(t, fmt.Sprintf("group %s to commit %v", group, end), func() bool {
		got := committedOffsets(t, cl, group, topic, scalePartitions)
		for p, off := range got {
			got[p] = max(off, 0) // nothing to commit in an empty partition
		}
		return maps.Equal(got, end)
	})
}

// logCount counts the lines of a process's stderr holding msg.
func logCount(p *child, msg string) int { return strings.Count(p.stderr.String(), msg) }

// scaleCountScript counts the records of "in" per key in a partitioned
// cache: the counts move with the partitions between the members of group
// "sc" through the changelog topic sc-counts-changelog.
const scaleCountScript = `
local t = kafka.topic("in", {group = "sc", codec = "json", session_timeout = "1s", transaction_timeout = "3s"})
local counts = cache.open("counts", {partitioned_by = t})
local opts = {commit_interval = "200ms"}
if args.rate then opts.pipe = {pipe.throttle{rate = tonumber(args.rate)}} end
if args.metrics then http.serve{addr = "127.0.0.1:0"} end
handle(t, opts, function(v) counts:incr(v.k) end)
`

// TestScaleOutRestore: 6 partitions of keyed input counted per key in a
// partitioned cache by two processes; one is killed with kill -9 and its
// state directory deleted mid-stream, and a third joins while the survivor
// restores the dead one's partitions from the changelog (waiting for the
// transaction the dead one left open to time out). Once the input is committed, a fresh
// process alone takes every partition: its restored state holds the exact
// counts.
func TestScaleOutRestore(t *testing.T) {
	t.Parallel()
	n := 12_000
	c := newScaleBroker(t, scalePartitions, "in")
	cl := kafkaClient(t, c)
	brokers := c.ListenAddrs()[0]
	preload(t, c, "in", n)
	want := map[string]int64{}
	for i := 1; i <= n; i++ {
		want["k"+strconv.Itoa(i%seqKeys)]++
	}
	src := map[string]string{"count.lua": scaleCountScript}
	dirA, dirB, dirC, dirD := writeScripts(t, src), writeScripts(t, src), writeScripts(t, src), writeScripts(t, src)
	rate := "--set=rate=" + strconv.Itoa(n/12) // per process and second
	start := time.Now()
	a := startStreamctl(t, "a", dirA, brokers, "run", "count.lua", rate)
	b := startStreamctl(t, "b", dirB, brokers, "run", "count.lua", rate)
	waitUntil(t, "a and b to hold partitions", func() bool {
		return logCount(a, "partition restored") > 0 && logCount(b, "partition restored") > 0
	})
	waitUntil(t, "a sixth of the input committed", func() bool { return committedSum(t, cl, "sc", "in", scalePartitions) > int64(n/6) })
	restoresA := logCount(a, "restore partition")
	// b dies in the middle of a commit: its transaction stays open in the
	// changelog, holding a count that must never be applied.
	openTransaction(t, c, "sc-counts-changelog", "k1", 1_000_000)
	b.signal(t, syscall.SIGKILL)
	b.wait(t, -1)
	if err := os.RemoveAll(filepath.Join(dirB, ".streamctl")); err != nil {
		t.Fatal(err)
	}
	killed := committedSum(t, cl, "sc", "in", scalePartitions)
	// The group gives b's partitions to a after the session timeout; a
	// restores them from the changelog, waiting for b's open transaction
	// to time out. c joins meanwhile.
	waitUntil(t, "a to restore b's partitions", func() bool { return logCount(a, "restore partition") > restoresA })
	cp := startStreamctl(t, "c", dirC, brokers, "run", "count.lua", rate)
	if running := logCount(a, "restore partition") - logCount(a, "partition restored") - logCount(a, "restore cancelled"); running == 0 {
		t.Errorf("c started after a's restores ended")
	}
	waitAllCommitted(t, cl, "sc", "in")
	interruptAll(t, a, cp)
	t.Logf("b killed with %d of %d records committed; a restored %d partitions (%d restores cancelled by c joining), c %d; all committed after %v",
		killed, n, logCount(a, "partition restored"), logCount(a, "restore cancelled"), logCount(cp, "partition restored"),
		time.Since(start).Round(time.Millisecond))
	if logCount(cp, "partition restored") == 0 {
		t.Errorf("c took no partition")
	}

	d := startStreamctl(t, "d", dirD, brokers, "run", "count.lua", "--set=metrics=on")
	waitUntil(t, "d to restore every partition", func() bool { return logCount(d, "partition restored") == scalePartitions })
	checkRestoreMetrics(t, d)
	// While d runs, state dump reads its last commit through it; after
	// it stopped, the directory itself.
	checkCounts(t, dumpCounts(t, dirD, "counts"), want)
	d.signal(t, syscall.SIGINT)
	d.wait(t, 130)
	checkCounts(t, dumpCounts(t, dirD, "counts"), want)
}

// scaleEOScript reads "in" exactly-once: it counts each key in a
// partitioned cache and writes {seq, k, n} to "out", n being the key's
// count after the record; outputs, changelog and offsets commit in one
// transaction.
const scaleEOScript = `
local t = kafka.topic("in", {group = "eo", codec = "json", session_timeout = "1s",
  transaction_timeout = "3s", exactly_once = true})
local counts = cache.open("counts", {partitioned_by = t})
local opts = {commit_interval = "200ms", sink = kafka.topic("out", {codec = "json"})}
if args.rate then opts.pipe = {pipe.throttle{rate = tonumber(args.rate)}} end
handle(t, opts, function(v, meta)
  return {seq = v.seq, k = v.k, n = counts:incr(v.k)}, meta.key
end)
`

// TestScaleOutExactlyOnce: two members of an exactly-once group, one killed
// twice mid-stream (restarted first with its state directory, then with a
// new one). A read_committed consumer of the output sees each input once,
// and each key's running count n as 1, 2, ... without a gap or a repeat:
// outputs and state committed together.
func TestScaleOutExactlyOnce(t *testing.T) {
	t.Parallel()
	n := 9_000
	c := newScaleBroker(t, scalePartitions, "in", "out")
	cl := kafkaClient(t, c)
	brokers := c.ListenAddrs()[0]
	preload(t, c, "in", n)
	src := map[string]string{"eo.lua": scaleEOScript}
	dirA, dirB, dirB2 := writeScripts(t, src), writeScripts(t, src), writeScripts(t, src)
	rate := "--set=rate=" + strconv.Itoa(n/12)
	start := time.Now()
	a := startStreamctl(t, "a", dirA, brokers, "run", "eo.lua", rate)
	b := startStreamctl(t, "b", dirB, brokers, "run", "eo.lua", rate)
	for i, dir := range []string{dirB, dirB2} {
		goal := int64((i + 1) * n / 4)
		waitUntil(t, fmt.Sprintf("%d records committed", goal), func() bool { return committedSum(t, cl, "eo", "in", scalePartitions) > goal })
		b.signal(t, syscall.SIGKILL)
		b.wait(t, -1)
		t.Logf("b killed with %d records committed", committedSum(t, cl, "eo", "in", scalePartitions))
		b = startStreamctl(t, "b"+strconv.Itoa(i+2), dir, brokers, "run", "eo.lua", rate)
	}
	waitAllCommitted(t, cl, "eo", "in")
	interruptAll(t, a, b)
	t.Logf("all committed after %v", time.Since(start).Round(time.Millisecond))

	// Read "out" to its end as a read_committed consumer.
	end := settledEndOffsets(t, cl, "out", scalePartitions)
	rc := kafkaClient(t, c, kgo.ConsumeTopics("out"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords(), kgo.FetchMaxWait(100*time.Millisecond))
	seen := map[int]int{}
	counts := map[string][]int64{}
	next := map[int32]int64{}
	ctx, cancel := context.WithTimeout(context.Background(), kafkaTimeout)
	defer cancel()
	for !maps.Equal(next, end) {
		fs := rc.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read out up to %v of %v", next, end)
		}
		fs.EachRecord(func(r *kgo.Record) {
			next[r.Partition] = r.Offset + 1
			if r.Attrs.IsControl() {
				return
			}
			var v struct {
				Seq int    `json:"seq"`
				K   string `json:"k"`
				N   int64  `json:"n"`
			}
			if err := json.Unmarshal(r.Value, &v); err != nil {
				t.Fatalf("out %d/%d: %v", r.Partition, r.Offset, err)
			}
			seen[v.Seq]++
			counts[v.K] = append(counts[v.K], v.N)
		})
	}
	for seq := 1; seq <= n; seq++ {
		if seen[seq] != 1 {
			t.Fatalf("seq %d seen %d times by a read_committed consumer (%d distinct)", seq, seen[seq], len(seen))
		}
	}
	for k, ns := range counts {
		for i, got := range ns {
			if got != int64(i+1) {
				t.Fatalf("key %s: output %d has count %d, want %d", k, i+1, got, i+1)
			}
		}
	}
}

// checkRestoreMetrics scrapes /metrics of p, which restored every
// partition of "counts": each has restored records, no changelog lag and
// the offset its local copy reached.
func checkRestoreMetrics(t *testing.T, p *child) {
	t.Helper()
	m := listeningRe.FindStringSubmatch(p.stderr.String())
	if m == nil {
		t.Fatalf("%s does not serve /metrics:\n%s", p.name, p.stderr.String())
	}
	body, status := httpGet(t, "http://"+m[1]+"/metrics")
	if status != 200 {
		t.Fatalf("/metrics: status %d", status)
	}
	count := map[string]int{}
	var restored float64
	for _, line := range strings.Split(body, "\n") {
		name, rest, ok := strings.Cut(line, "{")
		if !ok || !strings.HasPrefix(name, "streamctl_") || !strings.HasPrefix(rest, `cache="counts"`) {
			continue
		}
		_, num, _ := strings.Cut(rest, "} ")
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		count[name]++
		switch name {
		case "streamctl_restore_records_total":
			restored += v
		case "streamctl_changelog_lag":
			if v != 0 {
				t.Errorf("/metrics: %s after the restore", line)
			}
		case "streamctl_changelog_offset":
			if v <= 0 {
				t.Errorf("/metrics: %s", line)
			}
		}
	}
	for _, name := range []string{"streamctl_restore_records_total", "streamctl_changelog_lag", "streamctl_changelog_offset"} {
		if count[name] != scalePartitions {
			t.Errorf("/metrics has %d series of %s, want %d:\n%s", count[name], name, scalePartitions, body)
		}
	}
	if restored == 0 {
		t.Errorf("/metrics: no restored records")
	}
	t.Logf("%s restored %.0f changelog records", p.name, restored)
}

// openTransaction leaves a transaction open in every partition of
// changelog, putting count at key, as a process killed in the middle of a
// commit does: the broker aborts it after 4s, and restores wait for that.
func openTransaction(t *testing.T, c *kfake.Cluster, changelog, key string, count int64) {
	t.Helper()
	st, err := state.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	enc, err := st.Cache("enc", state.CacheConfig{Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	k, err := state.EncodeKey(key)
	if err != nil {
		t.Fatal(err)
	}
	v, err := enc.EncodeEntry(count, 0)
	if err != nil {
		t.Fatal(err)
	}
	cl := kafkaClient(t, c, kgo.TransactionalID("killed-mid-commit"), kgo.TransactionTimeout(4*time.Second),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), kafkaTimeout)
	defer cancel()
	for p := range int32(scalePartitions) {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: changelog, Partition: p, Key: k, Value: v}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}
