package state

import (
	"encoding/binary"

	"github.com/syndtr/goleveldb/leveldb"
)

// batchBuilder builds a goleveldb batch in one buffer sized up front, then
// loads it (Batch.Load takes what Batch.Dump gives). goleveldb v1.0.0's
// Batch.Put grows its buffer by a fraction that shrinks as the batch grows
// (by about 3000 records' worth at a time), so a commit of 200k writes
// copied its buffer some 60 times; this one copies nothing.
type batchBuilder struct{ data []byte }

// newBatchBuilder returns a builder with room for size bytes of records
// (batchRecordSize each).
func newBatchBuilder(size int) *batchBuilder {
	return &batchBuilder{data: make([]byte, 0, size)}
}

// Record kinds of goleveldb's batch format (its keyTypeDel, keyTypeVal).
const (
	batchDel = 0
	batchPut = 1
)

// batchRecordSize bounds the bytes a record of a key and value takes: a
// kind byte, two uvarint lengths and the bytes.
func batchRecordSize(key, val []byte) int { return 1 + 2*binary.MaxVarintLen32 + len(key) + len(val) }

// put adds a write of val at key (val nil: a deletion).
func (b *batchBuilder) put(key, val []byte) {
	if val == nil {
		b.data = append(b.data, batchDel)
		b.data = binary.AppendUvarint(b.data, uint64(len(key)))
		b.data = append(b.data, key...)
		return
	}
	b.data = append(b.data, batchPut)
	b.data = binary.AppendUvarint(b.data, uint64(len(key)))
	b.data = append(b.data, key...)
	b.data = binary.AppendUvarint(b.data, uint64(len(val)))
	b.data = append(b.data, val...)
}

// batch returns the goleveldb batch of the records added.
func (b *batchBuilder) batch() (*leveldb.Batch, error) {
	batch := new(leveldb.Batch)
	if err := batch.Load(b.data); err != nil {
		return nil, err
	}
	return batch, nil
}
