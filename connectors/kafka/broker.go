package kafka

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kfake"
)

// DevBrokerConfig configures StartDevBroker: streamctl dev-broker's flags.
type DevBrokerConfig struct {
	// Addr is the address to listen on; default "127.0.0.1:9092". Port 0
	// picks a free port (see DevBroker.Addr). Clients connect to the address
	// the listener reports, so use a concrete host.
	Addr string
	// Partitions is the partition count of Topics and of topics created on
	// first use; default 3.
	Partitions int
	// Topics are created at start (if missing, also when reloading DataDir).
	// Any other topic is created when a client first asks for it: the
	// dev-broker allows auto-creation.
	Topics []string
	// DataDir, when set, keeps topics, records, committed offsets and
	// producer state in this directory across restarts (kfake's DataDir;
	// written as it changes and saved in full on Close). One dev-broker at
	// a time may use it: StartDevBroker holds a lock on DIR/dev-broker.lock
	// until Close. Empty (the default) keeps everything in memory.
	DataDir string
	// Logger receives kfake's warnings and errors; nil discards them.
	Logger *slog.Logger
}

// DevBroker is an in-process Kafka-compatible broker (franz-go's kfake) with
// one node, for development and tests. It is not Kafka: no replication, and
// data lives in memory unless DevBrokerConfig.DataDir is set.
type DevBroker struct {
	c    *kfake.Cluster
	lock *os.File
}

// StartDevBroker starts the broker and returns once it listens. The broker
// serves from its own goroutines until Close. It fails when the address is
// taken, or when another dev-broker holds DataDir (the error wraps
// ErrDataDirLocked and names that process's pid).
func StartDevBroker(cfg DevBrokerConfig) (_ *DevBroker, err error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:9092"
	}
	if cfg.Partitions == 0 {
		cfg.Partitions = 3
	}
	if cfg.Partitions < 1 {
		return nil, fmt.Errorf("dev-broker: partitions must be at least 1, got %d", cfg.Partitions)
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("dev-broker: addr must be host:port, got %q", cfg.Addr)
	}
	for _, t := range cfg.Topics {
		if t == "" || strings.ContainsAny(t, " /\\") {
			return nil, fmt.Errorf("dev-broker: invalid topic name %q", t)
		}
	}
	b := &DevBroker{}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, cfg.Addr)
		}),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(cfg.Partitions),
		kfake.WithLogger(kfakeLogger{cfg.Logger}),
	}
	if len(cfg.Topics) > 0 {
		opts = append(opts, kfake.SeedTopics(int32(cfg.Partitions), cfg.Topics...))
	}
	if cfg.DataDir != "" {
		if b.lock, err = lockDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				b.lock.Close()
			}
		}()
		opts = append(opts, kfake.DataDir(cfg.DataDir))
	}
	if b.c, err = kfake.NewCluster(opts...); err != nil {
		return nil, fmt.Errorf("dev-broker: %w", err)
	}
	// Seed topics are only created in a fresh data dir; add new ones.
	for _, t := range cfg.Topics {
		if b.c.TopicInfo(t) == nil {
			if err := b.c.CreateTopic(t, int32(cfg.Partitions), nil); err != nil {
				b.c.Close()
				return nil, fmt.Errorf("dev-broker: create topic %q: %w", t, err)
			}
		}
	}
	return b, nil
}

// Addr returns the address the broker listens on ("127.0.0.1:9092").
func (b *DevBroker) Addr() string { return b.c.ListenAddrs()[0] }

// Close stops the broker, saves its state when it has a DataDir and
// releases the directory. Safe to call more than once.
func (b *DevBroker) Close() {
	b.c.Close()
	if b.lock != nil {
		b.lock.Close() // releases the flock
		b.lock = nil
	}
}

// lockDataDir creates dir and takes an exclusive lock on dir/dev-broker.lock,
// writing our pid into it.
func lockDataDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("dev-broker: data dir: %w", err)
	}
	path := filepath.Join(dir, "dev-broker.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("dev-broker: data dir: %w", err)
	}
	if err := tryLock(f); err != nil {
		defer f.Close()
		if errors.Is(err, errLocked) {
			pid := "unknown"
			if b, rerr := os.ReadFile(path); rerr == nil && len(strings.TrimSpace(string(b))) > 0 {
				pid = strings.TrimSpace(string(b))
			}
			return nil, &lockedError{dir: dir, pid: pid}
		}
		return nil, fmt.Errorf("dev-broker: data dir %s: lock: %w", dir, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

var errLocked = errors.New("locked")

// kfakeLogger forwards kfake's warnings and errors to slog.
type kfakeLogger struct{ l *slog.Logger }

func (k kfakeLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	if k.l == nil {
		return
	}
	switch level {
	case kfake.LogLevelError:
		k.l.Error("dev-broker", "msg", fmt.Sprintf(format, args...))
	case kfake.LogLevelWarn:
		k.l.Warn("dev-broker", "msg", fmt.Sprintf(format, args...))
	}
}
