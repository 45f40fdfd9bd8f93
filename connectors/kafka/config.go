package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/streamctl/streamctl/connectors/codec"
)

// Defaults of Config and of the Go-only options.
const (
	// DefaultDialTimeout bounds one connection attempt and the broker check
	// at start (see Topic).
	DefaultDialTimeout = 10 * time.Second
	// DefaultCommitInterval is how often a group consumer commits the
	// offsets of acknowledged records.
	DefaultCommitInterval = time.Second
	// restoreFetchMaxWait is how long a fetch of a consumer whose
	// partitions are restored before they are read may wait for records
	// (franz-go's default is 5s).
	restoreFetchMaxWait = 500 * time.Millisecond
	// defaultPollRecords bounds one poll, so a rebalance or a Seek discards
	// little.
	defaultPollRecords = 5000
)

// Config is a topic's configuration: the Lua table of kafka.topic(name,
// {brokers=, group=, offset=, codec=, key_codec=, acks=, sasl=, tls=, ...}).
// Fill it, then NewTopic applies the defaults and checks it.
type Config struct {
	// Brokers are the seed brokers, "host:port"; required.
	Brokers []string
	// Topic is the topic's name; required.
	Topic string
	// Group is the consumer group. Empty (the default) consumes every
	// partition directly from Offset and commits nothing.
	Group string
	// Offset is where consuming starts when the group has no committed
	// offset for a partition (or always, without Group); default Earliest.
	Offset Offset
	// Codec decodes consumed values and encodes produced ones; default
	// "bytes" (the message as is).
	Codec codec.Codec
	// KeyCodec does the same for keys; default "text".
	KeyCodec codec.Codec
	// Acks is how many replicas must have a produced record before it
	// counts as written: "all" (the default), "leader" or "none".
	Acks string
	// Idempotent makes the producer idempotent (no duplicates from its own
	// retries); nil means the default: true when Acks is "all", else false.
	// It needs Acks "all".
	Idempotent *bool
	// SASL authenticates to the brokers; off when Mechanism is empty.
	SASL SASL
	// TLS encrypts connections; off by default.
	TLS TLS
	// SessionTimeout is how long the group waits for a member that stopped
	// answering (a killed process) before giving its partitions to others.
	// Default 0: franz-go's default (45s).
	SessionTimeout time.Duration
	// DialTimeout bounds one connection attempt, and the check that the
	// brokers answer and the topic exists before the first Run or Write;
	// default 10s.
	DialTimeout time.Duration
	// AutoCreate asks the broker to create a missing topic (if the broker
	// allows it); default false: a missing topic is an error.
	AutoCreate bool
	// ExactlyOnce commits, with a Group, the outputs that handlers of the
	// topic produce to Kafka, the changelogs of its partitioned caches and
	// its offsets in one Kafka transaction (api.md section 11; see Txn).
	// Default false.
	ExactlyOnce bool
	// Isolation is what consuming reads of transactional producers:
	// "read_committed" (only committed transactions) or "read_uncommitted".
	// Default: "read_committed" with ExactlyOnce, else "read_uncommitted".
	Isolation string
	// TransactionTimeout is how long the broker lets a transaction of this
	// process stay open before aborting it: what a killed process whose
	// state directory is lost holds up read_committed readers and restores
	// of its partitions for. Default DefaultTransactionTimeout (10s); it
	// must exceed the time a commit takes.
	TransactionTimeout time.Duration
}

// DefaultTransactionTimeout is Config.TransactionTimeout's default, as
// Kafka Streams' for exactly-once.
const DefaultTransactionTimeout = 10 * time.Second

// Isolation levels of Config.Isolation.
const (
	ReadCommitted   = "read_committed"
	ReadUncommitted = "read_uncommitted"
)

// SASL is the authentication part of Config.
type SASL struct {
	// Mechanism is "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512"; empty (the
	// default) disables SASL.
	Mechanism string
	// User and Password are the credentials; User is required with a
	// Mechanism.
	User     string
	Password string
}

// TLS is the encryption part of Config.
type TLS struct {
	// Enabled turns TLS on; setting any file below turns it on too.
	Enabled bool
	// CAFile is a PEM bundle of the CAs to trust; default the system pool.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and its key, for
	// mutual TLS; both or neither.
	CertFile string
	KeyFile  string
	// InsecureSkipVerify accepts any server certificate (testing only).
	InsecureSkipVerify bool
}

// Offset is where consuming starts: Earliest, Latest or At(n). The zero
// value is Earliest.
type Offset struct {
	kind offsetKind
	at   int64
}

type offsetKind uint8

const (
	offsetEarliest offsetKind = iota
	offsetLatest
	offsetAt
)

var (
	// Earliest starts at the oldest record still in the partition.
	Earliest = Offset{kind: offsetEarliest}
	// Latest starts after the last record: only new records are read.
	Latest = Offset{kind: offsetLatest}
)

// At starts at offset n of every partition (n >= 0). An offset past the
// end of a partition falls back to Latest, one before its start to Earliest.
func At(n int64) Offset { return Offset{kind: offsetAt, at: n} }

// ParseOffset reads "earliest", "latest" or a decimal offset.
func ParseOffset(s string) (Offset, error) {
	switch s {
	case "earliest":
		return Earliest, nil
	case "latest":
		return Latest, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return Offset{}, fmt.Errorf("kafka: offset must be \"earliest\", \"latest\" or a number >= 0, got %q", s)
	}
	return At(n), nil
}

// String returns "earliest", "latest" or the number.
func (o Offset) String() string {
	switch o.kind {
	case offsetLatest:
		return "latest"
	case offsetAt:
		return strconv.FormatInt(o.at, 10)
	}
	return "earliest"
}

func (o Offset) kgo() kgo.Offset {
	switch o.kind {
	case offsetLatest:
		return kgo.NewOffset().AtEnd()
	case offsetAt:
		return kgo.NewOffset().At(o.at)
	}
	return kgo.NewOffset().AtStart()
}

// withDefaults returns c with its defaults filled in.
func (c Config) withDefaults() Config {
	if c.Codec == nil {
		c.Codec, _ = codec.Lookup("bytes")
	}
	if c.KeyCodec == nil {
		c.KeyCodec, _ = codec.Lookup("text")
	}
	if c.Acks == "" {
		c.Acks = "all"
	}
	if c.Idempotent == nil {
		on := c.Acks == "all"
		c.Idempotent = &on
	}
	if c.TLS.CAFile != "" || c.TLS.CertFile != "" || c.TLS.KeyFile != "" {
		c.TLS.Enabled = true
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.Isolation == "" {
		c.Isolation = ReadUncommitted
		if c.ExactlyOnce {
			c.Isolation = ReadCommitted
		}
	}
	if c.TransactionTimeout == 0 {
		c.TransactionTimeout = DefaultTransactionTimeout
	}
	return c
}

// validate checks c after withDefaults.
func (c Config) validate() error {
	switch {
	case len(c.Brokers) == 0:
		return errors.New("kafka: brokers must be set")
	case c.Topic == "":
		return errors.New("kafka: topic must be set")
	case c.Offset.kind == offsetAt && c.Offset.at < 0:
		return fmt.Errorf("kafka: offset must be \"earliest\", \"latest\" or a number >= 0, got %d", c.Offset.at)
	case c.Acks != "all" && c.Acks != "leader" && c.Acks != "none":
		return fmt.Errorf("kafka: acks must be \"all\", \"leader\" or \"none\", got %q", c.Acks)
	case *c.Idempotent && c.Acks != "all":
		return fmt.Errorf("kafka: idempotent needs acks = \"all\", got %q", c.Acks)
	case c.SessionTimeout < 0:
		return fmt.Errorf("kafka: session_timeout must be positive, got %v", c.SessionTimeout)
	case c.DialTimeout < 0:
		return fmt.Errorf("kafka: dial_timeout must be positive, got %v", c.DialTimeout)
	case (c.TLS.CertFile == "") != (c.TLS.KeyFile == ""):
		return errors.New("kafka: tls.cert_file and tls.key_file must be set together")
	case c.Isolation != ReadCommitted && c.Isolation != ReadUncommitted:
		return fmt.Errorf("kafka: isolation must be %q or %q, got %q", ReadUncommitted, ReadCommitted, c.Isolation)
	case c.ExactlyOnce && c.Group == "":
		return errors.New("kafka: exactly_once needs a group")
	case c.ExactlyOnce && c.Acks != "all":
		return fmt.Errorf("kafka: exactly_once needs acks = \"all\", got %q", c.Acks)
	case c.TransactionTimeout < 0:
		return fmt.Errorf("kafka: transaction_timeout must be positive, got %v", c.TransactionTimeout)
	}
	for _, b := range c.Brokers {
		if b == "" {
			return errors.New("kafka: brokers must not hold an empty address")
		}
	}
	switch c.SASL.Mechanism {
	case "":
		if c.SASL.User != "" || c.SASL.Password != "" {
			return errors.New("kafka: sasl.mechanism must be set with sasl.user")
		}
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if c.SASL.User == "" {
			return fmt.Errorf("kafka: sasl.user must be set with sasl.mechanism %q", c.SASL.Mechanism)
		}
	default:
		return fmt.Errorf("kafka: sasl.mechanism must be \"PLAIN\", \"SCRAM-SHA-256\" or \"SCRAM-SHA-512\", got %q", c.SASL.Mechanism)
	}
	return nil
}

// Opt configures a Topic beyond its Config (kgo's Opt shape).
type Opt interface{ apply(*topicOpts) }

type topicOpts struct {
	commitInterval time.Duration
	pollRecords    int
	logger         *slog.Logger
	extra          []kgo.Opt // tests and benchmarks only
}

type optFunc func(*topicOpts)

func (f optFunc) apply(o *topicOpts) { f(o) }

// WithCommitInterval sets how often a group consumer commits the offsets of
// acknowledged records, overriding the default of 1s. Offsets are also
// committed on rebalance and by Close. Values <= 0 keep the default.
func WithCommitInterval(d time.Duration) Opt {
	return optFunc(func(o *topicOpts) {
		if d > 0 {
			o.commitInterval = d
		}
	})
}

// WithLogger sets the logger for consumer-side problems that do not stop
// Run (failed commits, retried fetch errors), overriding the default of
// discarding them.
func WithLogger(l *slog.Logger) Opt {
	return optFunc(func(o *topicOpts) {
		if l != nil {
			o.logger = l
		}
	})
}

// withKgo appends raw franz-go options to both clients (tests, benchmarks).
func withKgo(opts ...kgo.Opt) Opt {
	return optFunc(func(o *topicOpts) { o.extra = append(o.extra, opts...) })
}

// consumerHooks are the consumer-side callbacks the Topic registers; nil
// asks kgoOpts for a producer client.
type consumerHooks struct {
	commitInterval time.Duration
	// external: the runtime commits offsets (Topic.Restore); no autocommit.
	external bool
	// restores: partitions are paused while their state is restored
	// (Restorer).
	restores bool
	assigned func(context.Context, *kgo.Client, map[string][]int32)
	revoked  func(context.Context, *kgo.Client, map[string][]int32)
	lost     func(context.Context, *kgo.Client, map[string][]int32)
	adjust   func(context.Context, map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error)
}

// kgoOpts builds the franz-go options for cfg (after withDefaults and
// validate): the producer client's when c is nil, else the consumer's with
// c's callbacks. It is the only place Config turns into kgo options.
//
// At-least-once consuming with a group: offsets are committed only from
// marks (AutoCommitMarks), which Topic sets as records are acknowledged;
// they are committed every commit interval, by OnPartitionsRevoked before a
// partition goes to another member, and by Close. BlockRebalanceOnPoll is
// used only as a fence: Run stamps the records of a poll with the current
// partition ownership and then calls AllowRebalance at once, so slow sinks
// never hold a rebalance (see Topic.Run).
func kgoOpts(cfg Config, c *consumerHooks) ([]kgo.Opt, error) {
	opts, err := connOpts(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.AutoCreate {
		opts = append(opts, kgo.AllowAutoTopicCreation())
	}
	if c == nil {
		opts = append(opts, kgo.DefaultProduceTopic(cfg.Topic))
		switch cfg.Acks {
		case "all":
			opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
		case "leader":
			opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
		case "none":
			opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
		}
		if !*cfg.Idempotent {
			opts = append(opts, kgo.DisableIdempotentWrite())
		}
		return opts, nil
	}
	opts = append(opts,
		kgo.ConsumeTopics(cfg.Topic),
		kgo.ConsumeResetOffset(cfg.Offset.kgo()),
	)
	if cfg.Isolation == ReadCommitted {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	if cfg.Group != "" {
		opts = append(opts,
			kgo.ConsumerGroup(cfg.Group),
			kgo.BlockRebalanceOnPoll(),
			kgo.OnPartitionsAssigned(c.assigned),
			kgo.OnPartitionsRevoked(c.revoked),
			kgo.OnPartitionsLost(c.lost),
			kgo.AdjustFetchOffsetsFn(c.adjust),
		)
		if c.external {
			// Offsets are committed by the runtime, after the state that
			// holds the records' effects (Topic.Committed).
			opts = append(opts, kgo.DisableAutoCommit())
		} else {
			opts = append(opts, kgo.AutoCommitMarks(), kgo.AutoCommitInterval(c.commitInterval))
		}
		if c.restores {
			// A partition resumed after its restore joins the next fetch
			// request: keep the wait of one that found nothing short.
			opts = append(opts, kgo.FetchMaxWait(restoreFetchMaxWait))
		}
		if cfg.SessionTimeout > 0 {
			// Heartbeat three times per session, as Kafka advises; the
			// default interval (3s) is too long for short sessions.
			opts = append(opts, kgo.SessionTimeout(cfg.SessionTimeout),
				kgo.HeartbeatInterval(min(3*time.Second, cfg.SessionTimeout/3)))
		}
	}
	return opts, nil
}

// The clients of scale-out (txn.go, changelog.go, table.go): their
// options, on top of connOpts.

// adminOpts are those of a client that only asks the brokers (and, for
// global tables, produces: acks from every replica, idempotent).
func adminOpts() []kgo.Opt { return []kgo.Opt{kgo.RequiredAcks(kgo.AllISRAcks())} }

// txnOpts are those of the transactional producer with id: transactions
// that the broker aborts after cfg.TransactionTimeout, records partitioned
// by p.
func txnOpts(cfg Config, id string, p kgo.Partitioner) []kgo.Opt {
	return []kgo.Opt{kgo.TransactionalID(id), kgo.TransactionTimeout(cfg.TransactionTimeout), kgo.RecordPartitioner(p)}
}

// readerOpts are those of a direct consumer of the given partitions from
// the given offsets (a restore, a global table): with committed, it reads
// only committed transactions and returns their markers too, so it sees
// every offset; its fetches wait at most maxWait for records.
func readerOpts(offsets map[string]map[int32]kgo.Offset, committed bool, maxWait time.Duration) []kgo.Opt {
	opts := []kgo.Opt{kgo.ConsumePartitions(offsets), kgo.FetchMaxWait(maxWait),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}
	if committed {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords())
	}
	return opts
}

// connOpts are the options of every client of cfg: where the brokers are
// and how to reach them (SASL, TLS).
func connOpts(cfg Config) ([]kgo.Opt, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.DialTimeout(cfg.DialTimeout),
		kgo.ClientID("streamctl"),
	}
	switch cfg.SASL.Mechanism {
	case "PLAIN":
		opts = append(opts, kgo.SASL(plain.Auth{User: cfg.SASL.User, Pass: cfg.SASL.Password}.AsMechanism()))
	case "SCRAM-SHA-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: cfg.SASL.User, Pass: cfg.SASL.Password}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: cfg.SASL.User, Pass: cfg.SASL.Password}.AsSha512Mechanism()))
	}
	if cfg.TLS.Enabled {
		tc, err := tlsConfig(cfg.TLS)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	return opts, nil
}

// tlsConfig loads the files of t.
func tlsConfig(t TLS) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // the user asked for it
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka: tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka: tls.ca_file %s: no PEM certificate in it", t.CAFile)
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("kafka: tls.cert_file/key_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
