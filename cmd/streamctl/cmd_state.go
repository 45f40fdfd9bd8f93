package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/state"
	"github.com/streamctl/streamctl/state/live"
	"github.com/streamctl/streamctl/value"
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
	// reading opens the state directory for a subcommand that only reads
	// (ls, get, dump): while a job holds the directory, fn reads the job's
	// last commit through it instead (package live).
	reading := func(min, max int, fn func(c *cli.Context, r state.Reader) error) cli.ActionFunc {
		return withStore(min, max, func(c *cli.Context, st *state.Store) error {
			err := fn(c, st)
			if !errors.Is(err, state.ErrLocked) {
				return err
			}
			held := err
			if err := fn(c, live.NewClient(st.Dir())); !errors.Is(err, live.ErrNoServer) {
				return err
			}
			return held // the holder serves no reads (an older version)
		})
	}
	// deleting is the action of del and clear: fn deletes from the cache
	// named, and either deletes the value saved as state/NAME.
	deleting := func(min, max int, fn func(c *cli.Context, ch *state.Cache) error) cli.ActionFunc {
		return withStore(min, max, func(c *cli.Context, st *state.Store) error {
			name, err := existing(c, st)
			if err != nil {
				return err
			}
			if saved, ok := strings.CutPrefix(name, "state/"); ok {
				return st.DeleteSaved(saved)
			}
			ch, err := st.Cache(name, state.CacheConfig{})
			if err != nil {
				return err
			}
			return fn(c, ch)
		})
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
		Description: `Caches and saved collector state live in the state directory, in one
goleveldb database. While a job holds the directory, ls, get and dump read its
last commit through it; put, del, load, clear and repair exit 75. KEY and VALUE are JSON; a KEY that is not valid JSON is a string
(so "user1" and user1 are the same key, 42 is a number, ["u1", 5] a tuple).
Collector state made with state.save is named state/NAME: get, del, clear,
dump and load take it in place of a cache (without a KEY: it is one value).

ls, get, dump, del and clear of a cache, a state/NAME or a state directory
that does not exist say so and exit 1, creating nothing; so does get of a
missing KEY. put and load create what they write to. A usage error exits 2;
a cache held by a running job exits 75.

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
   streamctl state get state/progress
   streamctl state repair`,
		Flags: []cli.Flag{dirFlag},
		Subcommands: []*cli.Command{
			{Name: "ls", Usage: "list caches and saved states", Flags: []cli.Flag{dirFlag},
				Action: reading(0, 0, func(c *cli.Context, r state.Reader) error {
					names, err := r.Names()
					for _, n := range names {
						fmt.Fprintln(e.stdout, n)
					}
					return err
				})},
			{Name: "get", Usage: "print the value at KEY, or the value saved as state/NAME, as JSON (exit 1 when absent)", ArgsUsage: "CACHE KEY | state/NAME", Flags: []cli.Flag{dirFlag},
				Action: reading(1, 2, func(c *cli.Context, r state.Reader) error {
					name, err := existing(c, r)
					if err != nil {
						return err
					}
					k := cliKey(jsonCodec, c.Args().Get(1))
					v, ok, err := r.Get(name, k)
					if err != nil {
						return err
					}
					if saved, isState := strings.CutPrefix(name, "state/"); isState && !ok {
						return fmt.Errorf("state %s: nothing saved", saved)
					}
					if !ok {
						return fmt.Errorf("cache %s: no key %s", name, state.FormatKey(k))
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
			{Name: "del", Usage: "delete KEY, or the value saved as state/NAME", ArgsUsage: "CACHE KEY | state/NAME", Flags: []cli.Flag{dirFlag},
				Action: deleting(1, 2, func(c *cli.Context, ch *state.Cache) error {
					return ch.Delete(cliKey(jsonCodec, c.Args().Get(1)))
				})},
			{Name: "dump", Usage: `print caches (all, or the ones named) as NDJSON {"cache":..,"key":..,"value":..}`, ArgsUsage: "[CACHE...]", Flags: []cli.Flag{dirFlag},
				Action: reading(0, 1<<20, func(c *cli.Context, r state.Reader) error {
					return state.Export(r, e.stdout, jsonCodec, c.Args().Slice()...)
				})},
			{Name: "load", Usage: "read NDJSON records {\"cache\":..,\"key\":..,\"value\":..} from stdin into their caches", Flags: []cli.Flag{dirFlag},
				Action: withStore(0, 0, func(c *cli.Context, st *state.Store) error {
					err := st.Import(e.stdin, jsonCodec)
					var ie *state.ImportError
					if errors.As(err, &ie) {
						return usageError("stdin:%d: %v", ie.Line, ie.Err)
					}
					return err
				})},
			{Name: "clear", Usage: "delete every key of CACHE, or the value saved as state/NAME", ArgsUsage: "CACHE | state/NAME", Flags: []cli.Flag{dirFlag},
				Action: deleting(1, 1, func(c *cli.Context, ch *state.Cache) error { return ch.Clear() })},
			{Name: "repair", Usage: "recover what is readable of a damaged state directory", ArgsUsage: "[NAME]", Flags: []cli.Flag{dirFlag},
				Action: withStore(0, 1, func(c *cli.Context, st *state.Store) error {
					n, err := state.Repair(st.Dir())
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "repaired %s: %d entries kept\n", st.Dir(), n)
					return nil
				})},
		},
	}
}

// existing returns the CACHE or state/NAME argument of get, del and clear
// when it exists, and checks the argument count: a KEY for a cache, none for
// a saved state (one value). A name that does not exist is an error (exit
// 1), and nothing is created.
func existing(c *cli.Context, r state.Reader) (string, error) {
	name := c.Args().First()
	_, saved := strings.CutPrefix(name, "state/")
	want := 2
	if saved || c.Command.Name == "clear" {
		want = 1
	}
	if c.NArg() != want {
		if saved {
			return "", usageError("state %s: state/NAME takes no KEY (a saved state is one value)", c.Command.Name)
		}
		return "", usageError("state %s: wrong number of arguments (usage: streamctl state %s %s)", c.Command.Name, c.Command.Name, c.Command.ArgsUsage)
	}
	return name, r.CheckExists(name)
}

// cliKey parses a KEY argument: JSON when it is valid JSON, else the string.
func cliKey(json codec.Codec, arg string) any {
	if v, err := json.Unmarshal([]byte(arg)); err == nil {
		if _, isObj := v.(value.Object); !isObj && v != nil {
			return v
		}
	}
	return arg
}
