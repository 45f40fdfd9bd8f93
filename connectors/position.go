package connectors

import "context"

// Positioned is implemented by sources whose position can be stored with
// the state a job derives from their records and resumed after a restart
// (api.md section 10): a Kafka topic read with a group, a file, an SSE
// stream. The runtime drives it when the job keeps state:
//
//  1. Before Run, Restore(pos, commit) with the position an earlier run
//     stored (nil when none). From then on the source leaves committing to
//     the runtime: a Kafka topic commits group offsets only in Committed,
//     and calls commit (which blocks until a commit is durable) when its
//     partitions are revoked.
//  2. Run emits records. Right after a record was handed to every handler,
//     the runtime calls Emitted with it, while no commit can start.
//  3. At a quiet point, when every emitted record is done and its outputs
//     reached their sinks, the runtime calls Position and stores what it
//     returns (nil: nothing to store) with the state, atomically.
//  4. Then Committed(ctx, pos): the position is durable.
//
// Position, Emitted and Committed may be called from other goroutines than
// Run's, but never concurrently with each other.
type Positioned interface {
	// PositionKey names the position in the state ("file:/abs/path",
	// "kafka:group:topic"); "" when the source has no position to keep
	// (a Kafka topic read without a group).
	PositionKey() string
	// Restore sets where Run starts from a position Position returned in an
	// earlier run, and hands commits to the runtime (see above).
	Restore(pos []byte, commit func(context.Context) error) error
	// Emitted tells the source that rec was handed to the handlers.
	Emitted(rec *Record)
	// Position returns the position after every record emitted so far.
	Position() ([]byte, error)
	// Committed reports that pos was stored with the state.
	Committed(ctx context.Context, pos []byte) error
}

// Partitioned is implemented by sources that read several partitions (a
// Kafka topic): Partitions returns the partitions this process reads now and
// a generation number that changes whenever they change. Safe for
// concurrent use.
type Partitioned interface {
	Partitions() (parts []int32, gen uint64)
}
