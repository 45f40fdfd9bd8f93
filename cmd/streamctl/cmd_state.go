package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/state"
)

func stateCommand(e *env) *cli.Command {
	dirFlag := &cli.StringFlag{Name: "state-dir", Usage: "state directory (default $STREAMCTL_STATE_DIR, else ./.streamctl)"}
	// withStore opens the state directory for one subcommand.
	withStore := func(min, max int, fn func(c *cli.Context, st *state.Store) error) cli.ActionFunc {
		return func(c *cli.Context) error {
			if c.NArg() < min || c.NArg() > max {
				return usageError("state %s: wrong number of arguments (usage: streamctl state %s %s)", c.Command.Name, c.Command.Name, c.Command.ArgsUsage)
			}
			st, err := state.Open(stateDir(c, e))
			if err != nil {
				return exitError(err)
			}
			err = fn(c, st)
			return exitError(errors.Join(err, st.Close()))
		}
	}
	jsonCodec, _ := codec.Lookup("json")
	writeJSON := func(v any) error {
		b, err := codec.AppendJSON(nil, v)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "%s\n", b)
		return err
	}
	return &cli.Command{
		Name:  "state",
		Usage: "inspect and edit caches and collector state",
		Description: `Caches and saved collector state live in the state directory, one goleveldb
database each. KEY and VALUE are JSON; a KEY that is not valid JSON is a string
(so "user1" and user1 are the same key, 42 is a number, ["u1", 5] a tuple).
Collector state made with state.save is named state/NAME.

dump writes one line per entry, {"cache":..,"key":..,"value":..} plus
"expires" (RFC 3339) for an entry with a TTL, and load reads them back
exactly: what JSON cannot hold is a one-member "$" object ({"$string":BASE64}
for bytes that are not UTF-8, {"$bytes":..}, {"$float":"NaN"}, {"$table":[[k,v]]}
for number keys, {"$object":[[k,v]]} for an object that would read as one).

Examples:
   streamctl state ls
   streamctl state get emoji '"🏆"'
   streamctl state put emoji 🏆 5
   streamctl state dump emoji > emoji.ndjson
   streamctl state load < emoji.ndjson
   streamctl state repair emoji`,
		Flags: []cli.Flag{dirFlag},
		Subcommands: []*cli.Command{
			{Name: "ls", Usage: "list caches and saved states", Flags: []cli.Flag{dirFlag},
				Action: withStore(0, 0, func(c *cli.Context, st *state.Store) error {
					names, err := st.Names()
					for _, n := range names {
						fmt.Fprintln(e.stdout, n)
					}
					return err
				})},
			{Name: "get", Usage: "print the value at KEY as JSON (exit 1 when absent)", ArgsUsage: "CACHE KEY", Flags: []cli.Flag{dirFlag},
				Action: withStore(2, 2, func(c *cli.Context, st *state.Store) error {
					ch, err := st.Cache(c.Args().Get(0), state.CacheConfig{})
					if err != nil {
						return err
					}
					k := cliKey(jsonCodec, c.Args().Get(1))
					v, ok, err := ch.Get(k)
					if err != nil {
						return err
					}
					if !ok {
						return fmt.Errorf("cache %s: no key %s", c.Args().Get(0), state.FormatKey(k))
					}
					return writeJSON(v)
				})},
			{Name: "put", Usage: "store the JSON VALUE at KEY", ArgsUsage: "CACHE KEY VALUE", Flags: []cli.Flag{dirFlag},
				Action: withStore(3, 3, func(c *cli.Context, st *state.Store) error {
					v, err := jsonCodec.Unmarshal([]byte(c.Args().Get(2)))
					if err != nil {
						return usageError("state put: VALUE must be JSON: %v", err)
					}
					ch, err := st.Cache(c.Args().Get(0), state.CacheConfig{})
					if err != nil {
						return err
					}
					return ch.Put(cliKey(jsonCodec, c.Args().Get(1)), v, 0)
				})},
			{Name: "del", Usage: "delete KEY", ArgsUsage: "CACHE KEY", Flags: []cli.Flag{dirFlag},
				Action: withStore(2, 2, func(c *cli.Context, st *state.Store) error {
					ch, err := st.Cache(c.Args().Get(0), state.CacheConfig{})
					if err != nil {
						return err
					}
					return ch.Delete(cliKey(jsonCodec, c.Args().Get(1)))
				})},
			{Name: "dump", Usage: `print caches (all, or the ones named) as NDJSON {"cache":..,"key":..,"value":..}`, ArgsUsage: "[CACHE...]", Flags: []cli.Flag{dirFlag},
				Action: withStore(0, 1<<20, func(c *cli.Context, st *state.Store) error {
					names := c.Args().Slice()
					if len(names) == 0 {
						var err error
						if names, err = st.Names(); err != nil {
							return err
						}
					}
					var line []byte
					for _, name := range names {
						err := st.Dump(name, func(l state.DumpLine) error {
							var err error
							if line, err = state.AppendDumpLine(line[:0], l); err != nil {
								return err
							}
							_, err = e.stdout.Write(append(line, '\n'))
							return err
						})
						if err != nil {
							return err
						}
					}
					return nil
				})},
			{Name: "load", Usage: "read NDJSON records {\"cache\":..,\"key\":..,\"value\":..} from stdin into their caches", Flags: []cli.Flag{dirFlag},
				Action: withStore(0, 0, func(c *cli.Context, st *state.Store) error {
					return loadDump(st, e.stdin)
				})},
			{Name: "clear", Usage: "delete every key of CACHE", ArgsUsage: "CACHE", Flags: []cli.Flag{dirFlag},
				Action: withStore(1, 1, func(c *cli.Context, st *state.Store) error {
					ch, err := st.Cache(c.Args().Get(0), state.CacheConfig{})
					if err != nil {
						return err
					}
					return ch.Clear()
				})},
			{Name: "repair", Usage: "recover what is readable of a corrupted cache or state/NAME", ArgsUsage: "NAME", Flags: []cli.Flag{dirFlag},
				Action: withStore(1, 1, func(c *cli.Context, st *state.Store) error {
					if err := state.Repair(st.Dir(), c.Args().Get(0)); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "repaired %s\n", c.Args().Get(0))
					return nil
				})},
		},
	}
}

// cliKey parses a KEY argument: JSON when it is valid JSON, else the string.
func cliKey(json codec.Codec, arg string) any {
	if v, err := json.Unmarshal([]byte(arg)); err == nil {
		if _, isObj := v.(codec.Object); !isObj && v != nil {
			return v
		}
	}
	return arg
}

// loadDump reads NDJSON dump records, grouped into consecutive runs per cache.
func loadDump(st *state.Store, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	line := 0
	type rec = state.DumpLine
	var pending *rec
	next := func() (*rec, error) {
		for sc.Scan() {
			line++
			if len(sc.Bytes()) == 0 {
				continue
			}
			l, err := state.ParseDumpLine(sc.Bytes())
			if err != nil {
				return nil, usageError("stdin:%d: %v", line, err)
			}
			return &l, nil
		}
		return nil, sc.Err()
	}
	for {
		if pending == nil {
			var err error
			if pending, err = next(); err != nil || pending == nil {
				return err
			}
		}
		name := pending.Cache
		err := st.LoadDump(name, func() (state.DumpLine, error) {
			if pending == nil || pending.Cache != name {
				return state.DumpLine{}, io.EOF
			}
			r := pending
			var err error
			if pending, err = next(); err != nil {
				return state.DumpLine{}, err
			}
			return *r, nil
		})
		if err != nil {
			return err
		}
	}
}
