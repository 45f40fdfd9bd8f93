package lua

import (
	"context"
)

// Transaction is an external transaction that a run's commits go through:
// the Kafka transaction of a job whose state scales out over a consumer
// group (api.md section 11). With one set, the commit barrier (see commits)
// calls Commit in place of StateCommitter.Commit, once the gate is held,
// every record handed to a handler is done and every sink was flushed.
type Transaction interface {
	// Commit makes the commit: it produces what the commit must carry
	// besides the outputs (the changelogs of partitioned caches), commits
	// the transaction with the input offsets, then stores the state with
	// positions (the sources' ones and its own, such as changelog offsets)
	// and starts the next transaction. An error fails the run: the state
	// directory then holds the previous commit, which the Kafka side agrees
	// with or is ahead of (a restore catches up).
	Commit(ctx context.Context, positions map[string][]byte) error
}

// UseTransaction makes the run's commits go through t. Call it from the
// top level, before handlers start; the first call wins.
func (rt *Runtime) UseTransaction(t Transaction) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.txn == nil {
		rt.txn = t
	}
}

// transaction returns the run's transaction, nil when it has none.
func (rt *Runtime) transaction() Transaction {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.txn
}
