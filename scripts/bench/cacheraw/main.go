// Command cacheraw is the plain goleveldb program the cache rows of
// scripts/bench/run.sh compare `streamctl run scripts/bench/cache.lua`
// with: it puts n JSON values into a goleveldb database, one db.Put each
// (written to the OS, not synced, as a cache put is), or gets them back;
// with -decode each value read is decoded with encoding/json into a
// map[string]any, as a program that uses it would. It is timed as a whole
// process like streamctl.
//
//	cacheraw -dir DIR -mode put -n 200000
//	cacheraw -dir DIR -mode get -n 200000 [-decode]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/syndtr/goleveldb/leveldb"
)

func main() {
	dir := flag.String("dir", "", "database directory")
	mode := flag.String("mode", "put", "put or get")
	n := flag.Int("n", 200000, "keys")
	decode := flag.Bool("decode", false, "get: decode each value with encoding/json")
	flag.Parse()
	if err := run(*dir, *mode, *n, *decode); err != nil {
		fmt.Fprintln(os.Stderr, "cacheraw:", err)
		os.Exit(1)
	}
}

func run(dir, mode string, n int, decode bool) error {
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
			val = fmt.Appendf(val[:0], `{"user":"u12345","n":%d,"tags":["a","b"]}`, i)
			if err := db.Put(key, val, nil); err != nil {
				return err
			}
		case "get":
			v, err := db.Get(key, nil)
			if err != nil {
				return fmt.Errorf("get %s: %w", key, err)
			}
			if decode {
				var m map[string]any
				if err := json.Unmarshal(v, &m); err != nil {
					return err
				}
				if m["n"] != float64(i) {
					return fmt.Errorf("get %s: bad value %s", key, v)
				}
			} else if len(v) == 0 {
				return fmt.Errorf("get %s: empty", key)
			}
		default:
			return fmt.Errorf("mode must be put or get, got %q", mode)
		}
	}
	return nil
}
