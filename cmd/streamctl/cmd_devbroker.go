package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/streamctl/streamctl/connectors/kafka"
)

// devBrokerCommand is `streamctl dev-broker`: an in-process Kafka-compatible
// broker (kfake) until SIGINT/SIGTERM. A stop asked for by a signal is the
// normal way to end it, so it exits 0 (not 130, which means "interrupted
// work" for run and pipe).
func devBrokerCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "dev-broker",
		Usage: "run an in-process Kafka-compatible broker for development",
		Description: `Serves the Kafka protocol (franz-go's kfake, one node) until SIGINT/SIGTERM,
then exits 0. Topics given with --topic are created at start. Another topic
is created, with --partitions partitions, only when a client asks for it:
kafka.topic(name, {auto_create = true}) does (its auto_create defaults to
false, and an unknown topic is then an error), as do clients such as kcat
that request auto-creation. Without --data-dir everything is kept in memory;
with it, topics, records and committed offsets survive restarts (one
dev-broker per directory: exit 75 if another one holds it).

Example:
   streamctl dev-broker --topic lines --data-dir .streamctl/kafka &
   streamctl run scripts/kafka_produce_file.lua -- /etc/services`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:9092", Usage: "host:port to listen on"},
			&cli.IntFlag{Name: "partitions", Value: 3, Usage: "partitions of each created topic"},
			&cli.StringSliceFlag{Name: "topic", Usage: "topic to create at start (repeatable)"},
			&cli.StringFlag{Name: "data-dir", Usage: "keep topics, records and offsets in DIR across restarts"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("dev-broker: unexpected argument %q", c.Args().First())
			}
			if c.Int("partitions") < 1 {
				return usageError("dev-broker: --partitions must be at least 1, got %d", c.Int("partitions"))
			}
			log, err := logger(c, e)
			if err != nil {
				return err
			}
			b, err := kafka.StartDevBroker(kafka.DevBrokerConfig{
				Addr:       c.String("addr"),
				Partitions: c.Int("partitions"),
				Topics:     c.StringSlice("topic"),
				DataDir:    c.String("data-dir"),
				Logger:     log,
			})
			if err != nil { // exit 75 when another dev-broker holds --data-dir
				return exitError(err)
			}
			defer b.Close()
			ctx, stop := e.signalContext()
			defer stop()
			fmt.Fprintf(e.stdout, "dev-broker listening on %s\n", b.Addr())
			<-ctx.Done()
			return nil
		},
	}
}
