package state

import (
	"bytes"
	"strings"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
)

// TestBatchBuilder: the batch built in one buffer is the batch goleveldb
// builds record by record.
func TestBatchBuilder(t *testing.T) {
	type rec struct{ k, v []byte }
	recs := []rec{
		{[]byte("a"), []byte("1")},
		{[]byte("b"), nil},
		{[]byte("c"), []byte{}},
		{[]byte(strings.Repeat("k", 300)), []byte(strings.Repeat("v", 70000))},
		{[]byte{}, []byte("empty key")},
	}
	var want leveldb.Batch
	size := 0
	for _, r := range recs {
		if r.v == nil {
			want.Delete(r.k)
		} else {
			want.Put(r.k, r.v)
		}
		size += batchRecordSize(r.k, r.v)
	}
	bb := newBatchBuilder(size)
	for _, r := range recs {
		bb.put(r.k, r.v)
	}
	if cap(bb.data) != size {
		t.Fatalf("the buffer grew: cap %d, sized %d", cap(bb.data), size)
	}
	got, err := bb.batch()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Dump(), want.Dump()) || got.Len() != want.Len() {
		t.Fatalf("batch differs:\n%q\n%q", got.Dump(), want.Dump())
	}
}
