package kafka

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/streamctl/streamctl/connectors"
)

// devTopic is a Topic on a DevBroker, closed by t.Cleanup.
func devTopic(t *testing.T, b *DevBroker, topic string, edit func(*Config)) *Topic {
	t.Helper()
	cfg := Config{Brokers: []string{b.Addr()}, Topic: topic, Codec: mustCodec(t, "text")}
	if edit != nil {
		edit(&cfg)
	}
	tp, err := NewTopic(cfg, fastGroup)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tp.Close(context.Background()) })
	return tp
}

func TestDevBrokerDataDir(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	b, err := StartDevBroker(DevBrokerConfig{Addr: "127.0.0.1:0", Partitions: 2, Topics: []string{"a"}, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	// A second broker on the same directory is refused, naming our pid.
	_, err = StartDevBroker(DevBrokerConfig{Addr: "127.0.0.1:0", DataDir: dir})
	if !errors.Is(err, ErrDataDirLocked) || !strings.Contains(err.Error(), fmt.Sprintf("(pid %d)", os.Getpid())) {
		t.Fatalf("second broker: %v", err)
	}

	tp := devTopic(t, b, "a", nil)
	for i := range 3 {
		if err := tp.Send(ctx, fmt.Sprint(i), nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	g := devTopic(t, b, "a", func(c *Config) { c.Group = "dg" })
	cons := startConsumer(t, g, nil)
	for _, r := range cons.collect(t, 3) {
		r.Ack(nil)
	}
	cons.stop(t)
	if err := g.Close(ctx); err != nil {
		t.Fatal(err)
	}
	tp.Close(ctx)
	b.Close()

	// Restart: records, partitions and the group's offsets are back; a new
	// --topic is added.
	b, err = StartDevBroker(DevBrokerConfig{Addr: "127.0.0.1:0", Partitions: 2, Topics: []string{"a", "b"}, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close) // after the topics' cleanups
	all := startConsumer(t, devTopic(t, b, "a", nil), nil)
	all.collect(t, 3)
	if err := devTopic(t, b, "a", nil).Send(ctx, "new", nil, nil); err != nil {
		t.Fatal(err)
	}
	g = devTopic(t, b, "a", func(c *Config) { c.Group = "dg" })
	if r := startConsumer(t, g, nil).collect(t, 1)[0]; r.Value != "new" {
		t.Fatalf("group resumed at %v (%v), want the new record", r.Value, r.Where())
	}
	if err := devTopic(t, b, "b", nil).Send(ctx, "x", nil, nil); err != nil {
		t.Fatalf("topic b: %v", err)
	}
}

func TestDevBrokerAutoCreate(t *testing.T) {
	b, err := StartDevBroker(DevBrokerConfig{Addr: "127.0.0.1:0", Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	tp := devTopic(t, b, "auto", func(c *Config) { c.AutoCreate = true })
	if err := tp.Send(context.Background(), "v", nil, nil); err != nil {
		t.Fatal(err)
	}
	if info := b.c.PartitionInfos("auto"); len(info) != 2 {
		t.Fatalf("auto-created topic has %d partitions, want 2", len(info))
	}
	// Without auto_create the broker does not create topics.
	tp2 := devTopic(t, b, "other", nil)
	if err := tp2.Write(context.Background(), connectors.Record{Value: "v"}); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("Write to a missing topic: %v", err)
	}
}

func TestDevBrokerConfig(t *testing.T) {
	for _, tt := range []struct {
		cfg  DevBrokerConfig
		want string
	}{
		{DevBrokerConfig{Addr: "nope"}, `dev-broker: addr must be host:port, got "nope"`},
		{DevBrokerConfig{Addr: "127.0.0.1:0", Partitions: -1}, "dev-broker: partitions must be at least 1, got -1"},
		{DevBrokerConfig{Addr: "127.0.0.1:0", Topics: []string{"a b"}}, `dev-broker: invalid topic name "a b"`},
	} {
		if _, err := StartDevBroker(tt.cfg); fmt.Sprint(err) != tt.want {
			t.Errorf("%+v: got %v, want %q", tt.cfg, err, tt.want)
		}
	}
	b, err := StartDevBroker(DevBrokerConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := StartDevBroker(DevBrokerConfig{Addr: b.Addr()}); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("same address twice: %v", err)
	}
}
