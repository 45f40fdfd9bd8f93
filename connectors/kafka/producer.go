package kafka

// The sink side of a Topic: producing records.

import (
	"context"
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/value"
)

// Write produces rec asynchronously: Value encoded with Config.Codec, Key
// (when not nil) with Config.KeyCodec, headers from its metadata field
// "headers" (a map of strings, bytes or other values written as text). It
// returns once franz-go buffered the record, blocking while its buffer is full;
// ctx also bounds the record's time in that buffer (franz-go semantics).
// When the broker acknowledged the record, or producing it failed, rec.Ack
// is called once from a franz-go goroutine; a failure is also kept for
// Flush. A record Write rejects (encoding, broker check, closed topic) has
// rec.Ack called with the same error Write returns. Safe for concurrent
// use.
func (t *Topic) Write(ctx context.Context, rec connectors.Record) error {
	kr, err := t.encode(rec.Value, rec.Key, headerList(&rec))
	var cl *kgo.Client
	if err == nil {
		cl, err = t.producer(ctx)
	}
	if err != nil {
		if rec.Ack != nil {
			rec.Ack(err)
		}
		return err
	}
	ack := rec.Ack
	cl.Produce(ctx, kr, func(_ *kgo.Record, err error) {
		if err != nil {
			err = fmt.Errorf("kafka: produce to %q: %w", t.cfg.Topic, err)
			t.errMu.Lock()
			if t.firstErr == nil {
				t.firstErr = err
			}
			t.errMu.Unlock()
		}
		if ack != nil {
			ack(err)
		}
	})
	return nil
}

// Flush waits until every record written so far was acknowledged or failed,
// or ctx is done, and returns the first produce failure since the previous
// Flush (`kafka: produce to "t": ...`). Safe for concurrent use.
func (t *Topic) Flush(ctx context.Context) error {
	t.mu.Lock()
	cl := t.prod
	t.mu.Unlock()
	if cl != nil {
		if err := cl.Flush(ctx); err != nil {
			return fmt.Errorf("kafka: flush %q: %w", t.cfg.Topic, err)
		}
	}
	t.errMu.Lock()
	defer t.errMu.Unlock()
	err := t.firstErr
	t.firstErr = nil
	return err
}

// Send produces one record and waits until the broker acknowledged it (nil)
// or producing failed, or ctx is done: topic:send. headers may be nil. Safe
// for concurrent use; it does not affect Flush's error.
func (t *Topic) Send(ctx context.Context, value, key any, headers map[string]string) error {
	kr, err := t.encode(value, key, sendHeaders(headers))
	if err != nil {
		return err
	}
	cl, err := t.producer(ctx)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	cl.Produce(ctx, kr, func(_ *kgo.Record, err error) { done <- err })
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("kafka: produce to %q: %w", t.cfg.Topic, err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendHeaders converts Send's headers, in key order.
func sendHeaders(headers map[string]string) []kgo.RecordHeader {
	if len(headers) == 0 {
		return nil
	}
	hs := make([]kgo.RecordHeader, 0, len(headers))
	for _, k := range sortedKeys(headers) {
		hs = append(hs, kgo.RecordHeader{Key: k, Value: []byte(headers[k])})
	}
	return hs
}

// producer returns the producer client, creating and checking it once.
func (t *Topic) producer(ctx context.Context) (*kgo.Client, error) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, fmt.Errorf("kafka: topic %q: %w", t.cfg.Topic, connectors.ErrClosed)
	}
	cl := t.prod
	if cl == nil {
		opts, err := kgoOpts(t.cfg, nil)
		if err == nil {
			cl, err = kgo.NewClient(append(opts, t.opts.extra...)...)
		}
		if err != nil {
			t.mu.Unlock()
			return nil, fmt.Errorf("kafka: topic %q: %w", t.cfg.Topic, err)
		}
		t.prod = cl
	}
	t.mu.Unlock()
	if err := t.check(ctx, cl); err != nil {
		return nil, err
	}
	return cl, nil
}

// producedRecord is a franz-go record with room for a small value and key
// in the same allocation.
type producedRecord struct {
	kgo.Record
	buf [128]byte
}

// encode builds the franz-go record. The value and the key share one
// buffer: the record's own when they fit, else one sized at once when both
// are strings or bytes.
func (t *Topic) encode(value, key any, headers []kgo.RecordHeader) (*kgo.Record, error) {
	pr := &producedRecord{}
	buf := pr.buf[:0]
	if n := rawLen(value) + rawLen(key); n > len(pr.buf) {
		buf = make([]byte, 0, n)
	}
	buf, err := t.cfg.Codec.Marshal(buf, value)
	if err != nil {
		return nil, fmt.Errorf("kafka: topic %q: encode value: %w", t.cfg.Topic, err)
	}
	n := len(buf)
	kr := &pr.Record
	kr.Headers = headers
	if n > 0 { // empty stays nil, as Marshal(nil, v) gives it
		kr.Value = buf[:n:n]
	}
	if key != nil {
		if buf, err = t.cfg.KeyCodec.Marshal(buf, key); err != nil {
			return nil, fmt.Errorf("kafka: topic %q: encode key: %w", t.cfg.Topic, err)
		}
		if len(buf) > n {
			kr.Key = buf[n:]
		}
	}
	return kr, nil
}

// rawLen is the length of v when it is a string or bytes, else 0.
func rawLen(v any) int {
	switch x := v.(type) {
	case string:
		return len(x)
	case []byte:
		return len(x)
	}
	return 0
}

// headerList reads the metadata field "headers" of rec: map[string]any,
// map[string]string or value.Object, with string or []byte values (others
// are written as text).
func headerList(rec *connectors.Record) []kgo.RecordHeader {
	var hs []kgo.RecordHeader
	add := func(k string, v any) {
		var b []byte
		switch x := v.(type) {
		case string:
			b = []byte(x)
		case []byte:
			b = x
		default:
			b, _ = codec.AppendText(nil, v)
		}
		hs = append(hs, kgo.RecordHeader{Key: k, Value: b})
	}
	h, _ := rec.MetaField("headers")
	switch h := h.(type) {
	case map[string]any:
		for _, k := range sortedKeys(h) {
			add(k, h[k])
		}
	case map[string]string:
		for _, k := range sortedKeys(h) {
			add(k, h[k])
		}
	case value.Object:
		for _, m := range h {
			add(m.Key, m.Value)
		}
	}
	return hs
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
