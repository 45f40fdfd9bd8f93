// Command cacheraw is the plain goleveldb program the cache rows of
// scripts/bench/run.sh compare `streamctl run scripts/bench/cache.lua`
// with: it puts n JSON values {"user":"u12345","n":i,"tags":["a","b"]}
// into a goleveldb database, one db.Put each (written to the OS, not
// synced, as a cache put is), or gets them back. It is timed as a whole
// process like streamctl.
//
// -json (the default) makes it the program that uses its values, as the Lua
// script does: each value is a Go struct encoded with encoding/json before
// the put and decoded into one after the get. -json=false is the floor
// under that: puts of the bytes formatted from a template, gets that only
// fetch the bytes.
//
//	cacheraw -dir DIR -mode put -n 200000 [-json=false]
//	cacheraw -dir DIR -mode get -n 200000 [-json=false]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/syndtr/goleveldb/leveldb"
)

// entry is the value at each key.
type entry struct {
	User string   `json:"user"`
	N    int      `json:"n"`
	Tags []string `json:"tags"`
}

func main() {
	dir := flag.String("dir", "", "database directory")
	mode := flag.String("mode", "put", "put or get")
	n := flag.Int("n", 200000, "keys")
	useJSON := flag.Bool("json", true, "encode and decode the values with encoding/json")
	flag.Parse()
	if err := run(*dir, *mode, *n, *useJSON); err != nil {
		fmt.Fprintln(os.Stderr, "cacheraw:", err)
		os.Exit(1)
	}
}

func run(dir, mode string, n int, useJSON bool) error {
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	var key, val []byte
	for i := 1; i <= n; i++ {
		key = strconv.AppendInt(key[:0], int64(i), 10)
		switch mode {
		case "put":
			if useJSON {
				if val, err = json.Marshal(entry{User: "u12345", N: i, Tags: []string{"a", "b"}}); err != nil {
					return err
				}
			} else {
				val = fmt.Appendf(val[:0], `{"user":"u12345","n":%d,"tags":["a","b"]}`, i)
			}
			if err := db.Put(key, val, nil); err != nil {
				return err
			}
		case "get":
			v, err := db.Get(key, nil)
			if err != nil {
				return fmt.Errorf("get %s: %w", key, err)
			}
			if !useJSON {
				if len(v) == 0 {
					return fmt.Errorf("get %s: empty", key)
				}
				continue
			}
			var e entry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			if e.N != i {
				return fmt.Errorf("get %s: bad value %s", key, v)
			}
		default:
			return fmt.Errorf("mode must be put or get, got %q", mode)
		}
	}
	return nil
}
