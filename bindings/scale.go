package bindings

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	shttp "github.com/streamctl/streamctl/connectors/http"
	"github.com/streamctl/streamctl/connectors/kafka"
	"github.com/streamctl/streamctl/lua"
	"github.com/streamctl/streamctl/state"
)

// scaleOut is what one run needs to scale its state out over Kafka consumer
// groups (api.md section 11): the Kafka transaction its commits go through
// (lua.Transaction), the partitioned caches with their changelogs, the
// global caches. Built by Modules for each run and shared by the cache,
// kafka, window and http modules. Safe for concurrent use.
type scaleOut struct {
	store   *stateStore
	brokers []string // Deps.Brokers: for global caches

	mu       sync.Mutex
	st       *state.Store // the run's open state directory, once needed
	txn      *kafka.Txn
	logs     *kafka.Changelogs
	byTopic  map[*kafka.Topic]*topicShards
	byName   map[string]*partitionedCache
	globals  map[string]*globalCache
	restored map[string]*restoreStat // "cache/partition": restore metrics
}

// txnIDKey is where a state directory keeps its transactional id (a
// position: not listed by `state ls`).
const txnIDKey = "kafka:transactional-id"

// staleAfter is how old a local copy of a changelog partition may be and
// still be caught up from its offset; an older one is restored from the
// start. Half of Kafka's default delete.retention.ms (24h): compaction
// forgets a tombstone after that long, and a copy older than it could keep
// a key deleted meanwhile.
const staleAfter = 12 * time.Hour

// transactional makes the commits of t (a group source that is exactly-once
// or feeds partitioned caches) go through the run's Kafka transaction,
// creating it on first use with the state directory's transactional id.
// Call it from the top level.
func (so *scaleOut) transactional(s *lua.State, t *kafka.Topic) (*kafka.Txn, error) {
	so.mu.Lock()
	defer so.mu.Unlock()
	if so.txn == nil {
		st, err := so.store.open(s)
		if err != nil {
			return nil, err
		}
		id, err := transactionalID(st)
		if err != nil {
			return nil, err
		}
		rt := s.Runtime()
		x, err := kafka.NewTxn(id, t.Config(), rt.Logger())
		if err != nil {
			return nil, err
		}
		so.st, so.txn = st, x
		st.Use()
		rt.UseTransaction(so)
		rt.OnClose(func(ctx context.Context) error {
			so.mu.Lock()
			logs := so.logs
			so.mu.Unlock()
			if logs != nil {
				logs.Close()
			}
			return x.Close(ctx)
		})
	}
	return so.txn, t.SetTransaction(so.txn)
}

// transactionalID returns the state directory's transactional id, making
// one the first time: stable per state directory, so a restarted job
// fences its earlier incarnation's open transaction at once.
func transactionalID(st *state.Store) (string, error) {
	b, ok, err := st.Position(txnIDKey)
	if err != nil || ok {
		return string(b), err
	}
	var r [12]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	id := "streamctl-" + hex.EncodeToString(r[:])
	return id, st.PutPosition(txnIDKey, []byte(id))
}

// Commit implements lua.Transaction: with the store's pending writes held
// (state.Prepare, after the windows flushed into them), it produces each
// held shard's pending writes to its changelog, commits the Kafka
// transaction with the input offsets, then stores the state with the
// positions and each shard's changelog offset.
func (so *scaleOut) Commit(ctx context.Context, positions map[string][]byte) error {
	so.mu.Lock()
	st, x := so.st, so.txn
	caches := make([]*partitionedCache, 0, len(so.byName))
	for _, name := range slices.Sorted(maps.Keys(so.byName)) {
		caches = append(caches, so.byName[name])
	}
	so.mu.Unlock()
	pr, err := st.Prepare()
	if err != nil {
		return err
	}
	held := make([][]*shard, len(caches))
	for i, pc := range caches {
		held[i] = pc.held()
	}
	res, err := x.Commit(ctx, func(produce kafka.ChangelogFunc) error {
		for i, pc := range caches {
			for _, sh := range held[i] {
				err := pr.Pending(sh.lc.c, func(key, entry []byte) error {
					produce(pc.changelog, sh.p, key, entry)
					return nil
				})
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	if !res.Committed {
		pr.Release()
		return err
	}
	now := time.Now()
	for i, pc := range caches {
		for _, sh := range held[i] {
			if next, ok := res.Next[kafka.TopicPartition{Topic: pc.changelog, Partition: sh.p}]; ok {
				sh.offset.Store(next)
			}
			positions[changelogKey(pc.changelog, sh.p)] = encodeChangelogPos(sh.offset.Load(), now)
		}
	}
	return errors.Join(err, pr.Commit(positions))
}

// changelogKey is the position key of a shard's changelog offset.
func changelogKey(topic string, p int32) string {
	return "changelog:" + topic + ":" + strconv.Itoa(int(p))
}

// changelogPos is a shard's stored changelog position: the offset up to
// which the local copy holds the changelog, and when it last did.
type changelogPos struct {
	Offset int64 `json:"offset"`
	Time   int64 `json:"time"` // Unix seconds
}

func encodeChangelogPos(off int64, t time.Time) []byte {
	b, _ := json.Marshal(changelogPos{Offset: off, Time: t.Unix()})
	return b
}

// changelogFrom returns the offset a restore continues from: the stored
// one, or -1 when there is none or it is older than staleAfter.
func changelogFrom(st *state.Store, topic string, p int32) (int64, error) {
	b, ok, err := st.Position(changelogKey(topic, p))
	if err != nil || !ok {
		return -1, err
	}
	var pos changelogPos
	if err := json.Unmarshal(b, &pos); err != nil {
		return -1, fmt.Errorf("stored changelog position %q: %w", b, err)
	}
	if time.Since(time.Unix(pos.Time, 0)) > staleAfter {
		return -1, nil
	}
	return pos.Offset, nil
}

// changelogs returns the run's changelog access on the brokers of t.
func (so *scaleOut) changelogs(t *kafka.Topic, log *slog.Logger) *kafka.Changelogs {
	so.mu.Lock()
	defer so.mu.Unlock()
	if so.logs == nil {
		so.logs = kafka.NewChangelogs(t.Config(), log)
	}
	return so.logs
}

// restoreStat is what /metrics shows of one shard's restores.
type restoreStat struct {
	cache     string
	partition int32
	mu        sync.Mutex
	restored  int64 // records applied by restores, in all
	lag       int64 // changelog offsets left to read by the running restore
}

// set records a restore's progress.
func (rs *restoreStat) set(restored, lag int64) {
	rs.mu.Lock()
	rs.restored, rs.lag = restored, lag
	rs.mu.Unlock()
}

// snapshot returns the records restored and the lag.
func (rs *restoreStat) snapshot() (restored, lag int64) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.restored, rs.lag
}

// stat returns the metrics of cache's shard p.
func (so *scaleOut) stat(cache string, p int32) *restoreStat {
	so.mu.Lock()
	defer so.mu.Unlock()
	key := cache + "/" + strconv.Itoa(int(p))
	if so.restored == nil {
		so.restored = map[string]*restoreStat{}
	}
	rs := so.restored[key]
	if rs == nil {
		rs = &restoreStat{cache: cache, partition: p}
		so.restored[key] = rs
	}
	return rs
}

// stats returns the restore metrics, by cache and partition.
func (so *scaleOut) stats() []*restoreStat {
	so.mu.Lock()
	defer so.mu.Unlock()
	out := make([]*restoreStat, 0, len(so.restored))
	for _, k := range slices.Sorted(maps.Keys(so.restored)) {
		out = append(out, so.restored[k])
	}
	slices.SortStableFunc(out, func(a, b *restoreStat) int {
		if a.cache != b.cache {
			return cmp.Compare(a.cache, b.cache)
		}
		return int(a.partition - b.partition)
	})
	return out
}

// writeMetrics writes the scale-out families of /metrics: per shard, the
// records restores applied, the changelog offsets a running restore has
// left to read, and the changelog offset the local copy holds; per global
// cache partition, the offset read.
func (so *scaleOut) writeMetrics(w io.Writer) {
	var restored, lag, offset, global []shttp.Sample
	for _, rs := range so.stats() {
		n, l := rs.snapshot()
		labels := []string{"cache", rs.cache, "partition", strconv.Itoa(int(rs.partition))}
		restored = append(restored, shttp.Sample{Labels: labels, Value: float64(n)})
		lag = append(lag, shttp.Sample{Labels: labels, Value: float64(l)})
	}
	so.mu.Lock()
	caches := make([]*partitionedCache, 0, len(so.byName))
	for _, name := range slices.Sorted(maps.Keys(so.byName)) {
		caches = append(caches, so.byName[name])
	}
	so.mu.Unlock()
	for _, pc := range caches {
		for _, sh := range pc.held() {
			offset = append(offset, shttp.Sample{Labels: []string{"cache", pc.name, "partition", strconv.Itoa(int(sh.p))},
				Value: float64(sh.offset.Load())})
		}
	}
	offsets := so.globalOffsets()
	for _, name := range slices.Sorted(maps.Keys(offsets)) {
		for _, p := range slices.Sorted(maps.Keys(offsets[name])) {
			global = append(global, shttp.Sample{Labels: []string{"cache", name, "partition", strconv.Itoa(int(p))},
				Value: float64(offsets[name][p])})
		}
	}
	shttp.WriteFamily(w, "streamctl_restore_records_total", "counter",
		"Changelog records applied by restores of a partitioned cache's shard.", restored)
	shttp.WriteFamily(w, "streamctl_changelog_lag", "gauge",
		"Changelog offsets a shard's running restore has left to read (0 once restored).", lag)
	shttp.WriteFamily(w, "streamctl_changelog_offset", "gauge",
		"Changelog offset up to which a held shard's local copy holds its changelog.", offset)
	shttp.WriteFamily(w, "streamctl_global_offset", "gauge",
		"Offset up to which a global cache's local copy holds a partition of its topic.", global)
}
