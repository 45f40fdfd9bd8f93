package bindings_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/streamctl/streamctl/bindings"
	"github.com/streamctl/streamctl/lua"
	"github.com/streamctl/streamctl/state"
)

// The binding benchmarks put, get and range through Lua (c:put, c:get,
// c:range on a persistent cache) and do the same goleveldb work on the same
// data with raw goleveldb (the cache's encoded keys and values, default
// options) in the same run. Each reports lua-ns/op, raw-ns/op and x-raw:
// raw time / Lua time, the binding's speed as a fraction of raw goleveldb's
// (target >= 0.5). Only the loops are timed: Lua times its own loop with
// time.now(), so runtime start-up and the fill are left out.
//
//	go test -run '^$' -bench CacheBinding -benchtime 100000x ./bindings/

// benchFill is the number of entries get and range read from.
const benchFill = 10000

// benchLuaValue is the value stored at each key, in Lua and in Go.
const benchLuaValue = `{user = "u12345", n = i, tags = {"a", "b"}}`

func benchGoValue(i int) any {
	return map[string]any{"user": "u12345", "n": int64(i), "tags": []any{"a", "b"}}
}

// luaLoop runs setup, then times body (with n = b.N) in Lua and returns its
// duration per op. body counts ops in the local i or increments done.
func luaLoop(b *testing.B, setup, body string) float64 {
	b.Helper()
	src := `
local c = cache.open("bench")
local n = tonumber(args.n)
` + setup + `
local start = time.now()
` + body + `
print(string.format("%.0f", (time.now() - start) * 1e9))
`
	var out, errb bytes.Buffer
	rt := lua.New(lua.Options{
		Script:  "bench.lua",
		Source:  []byte(src),
		Modules: bindings.Modules(bindings.Deps{StateDir: b.TempDir(), Set: [][2]string{{"n", strconv.Itoa(b.N)}}}),
		Stdin:   strings.NewReader(""),
		Stdout:  &out,
		Stderr:  &errb,
	})
	if err := rt.Run(context.Background()); err != nil {
		b.Fatalf("%v\n%s", err, errb.String())
	}
	ns, err := strconv.ParseFloat(strings.TrimSpace(out.String()), 64)
	if err != nil {
		b.Fatalf("lua output %q: %v", out.String(), err)
	}
	return ns / float64(b.N)
}

// rawDB opens a goleveldb database holding the first fill entries as the
// cache stores them.
func rawDB(b *testing.B, fill int) (*leveldb.DB, func(i int) []byte, func(i int) []byte) {
	b.Helper()
	db, err := leveldb.OpenFile(filepath.Join(b.TempDir(), "raw"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	key := func(i int) []byte {
		k, err := state.EncodeKey(int64(i))
		if err != nil {
			b.Fatal(err)
		}
		return k
	}
	val := func(i int) []byte {
		v, err := state.EncodeValue(benchGoValue(i))
		if err != nil {
			b.Fatal(err)
		}
		return v
	}
	for i := range fill {
		if err := db.Put(key(i), val(i), nil); err != nil {
			b.Fatal(err)
		}
	}
	return db, key, val
}

func reportRatio(b *testing.B, luaNs, rawNs float64) {
	b.ReportMetric(0, "ns/op") // the loops are timed separately
	b.ReportMetric(luaNs, "lua-ns/op")
	b.ReportMetric(rawNs, "raw-ns/op")
	b.ReportMetric(rawNs/luaNs, "x-raw")
}

// reportUsable adds the baseline of a Go program that uses the values it
// reads: raw goleveldb plus encoding/json decoding each value into a map,
// the work the binding's table building stands for.
func reportUsable(b *testing.B, luaNs, usableNs float64) {
	b.ReportMetric(usableNs, "raw+json-ns/op")
	b.ReportMetric(usableNs/luaNs, "x-raw+json")
}

// jsonDB is rawDB with JSON values, for the raw+json baseline.
func jsonDB(b *testing.B, fill int) (*leveldb.DB, func(i int) []byte) {
	b.Helper()
	db, key, _ := rawDB(b, 0)
	for i := range fill {
		v, err := json.Marshal(map[string]any{"user": "u12345", "n": i, "tags": []string{"a", "b"}})
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Put(key(i), v, nil); err != nil {
			b.Fatal(err)
		}
	}
	return db, key
}

func BenchmarkCacheBindingPut(b *testing.B) {
	luaNs := luaLoop(b, ``, `for i = 1, n do c:put(i, `+benchLuaValue+`) end`)

	db, key, val := rawDB(b, 0)
	start := time.Now()
	for i := range b.N {
		// Encoding is part of the raw work: the binding must do it too.
		if err := db.Put(key(i+1), val(i+1), nil); err != nil {
			b.Fatal(err)
		}
	}
	reportRatio(b, luaNs, float64(time.Since(start).Nanoseconds())/float64(b.N))
}

func BenchmarkCacheBindingGet(b *testing.B) {
	fill := `for i = 0, ` + strconv.Itoa(benchFill-1) + ` do c:put(i, ` + benchLuaValue + `) end`
	luaNs := luaLoop(b, fill, `
for i = 0, n - 1 do
  local v = c:get(i % `+strconv.Itoa(benchFill)+`)
  if v.user ~= "u12345" then error("bad value") end
end`)

	db, key, _ := rawDB(b, benchFill)
	start := time.Now()
	for i := range b.N {
		v, err := db.Get(key(i%benchFill), nil)
		if err != nil || len(v) == 0 {
			b.Fatal(err)
		}
	}
	reportRatio(b, luaNs, float64(time.Since(start).Nanoseconds())/float64(b.N))

	jdb, jkey := jsonDB(b, benchFill)
	start = time.Now()
	for i := range b.N {
		raw, err := jdb.Get(jkey(i%benchFill), nil)
		if err != nil {
			b.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(raw, &v); err != nil || v["user"] != "u12345" {
			b.Fatal("bad value", err)
		}
	}
	reportUsable(b, luaNs, float64(time.Since(start).Nanoseconds())/float64(b.N))
}

// BenchmarkCacheBindingRange reads entries with range; an op is one entry.
func BenchmarkCacheBindingRange(b *testing.B) {
	fill := `for i = 0, ` + strconv.Itoa(benchFill-1) + ` do c:put(i, ` + benchLuaValue + `) end`
	luaNs := luaLoop(b, fill, `
local done = 0
while done < n do
  for k, v in c:range{limit = n - done} do
    done = done + 1
  end
end`)

	db, _, _ := rawDB(b, benchFill)
	start := time.Now()
	done := 0
	for done < b.N {
		it := db.NewIterator(nil, nil)
		for done < b.N && it.Next() {
			if len(it.Key()) == 0 || len(it.Value()) == 0 {
				b.Fatal("empty entry")
			}
			done++
		}
		it.Release()
		if err := it.Error(); err != nil {
			b.Fatal(err)
		}
	}
	reportRatio(b, luaNs, float64(time.Since(start).Nanoseconds())/float64(b.N))

	jdb, _ := jsonDB(b, benchFill)
	start = time.Now()
	done = 0
	for done < b.N {
		it := jdb.NewIterator(nil, nil)
		for done < b.N && it.Next() {
			var v map[string]any
			if err := json.Unmarshal(it.Value(), &v); err != nil {
				b.Fatal(err)
			}
			done++
		}
		it.Release()
	}
	reportUsable(b, luaNs, float64(time.Since(start).Nanoseconds())/float64(b.N))
}

// BenchmarkCacheHandler puts b.N values, then gets them, from a handler of
// an iterate source (scripts/bench/cache.lua with where = "handler"): the
// writes are deferred and committed at the commit interval and at the end,
// which is included, as is the handler's dispatch per record. It reports
// put-ns/op and get-ns/op; compare them with BenchmarkCacheBindingPut's
// raw-ns/op (one goleveldb Put per value).
//
//	go test -run '^$' -bench CacheHandler -benchtime 200000x ./bindings/
func BenchmarkCacheHandler(b *testing.B) {
	script, err := os.ReadFile("../scripts/bench/cache.lua")
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	run := func(mode string) float64 {
		start := time.Now()
		var errb bytes.Buffer
		rt := lua.New(lua.Options{
			Script: "cache.lua", Source: script,
			Modules: bindings.Modules(bindings.Deps{StateDir: dir,
				Set: [][2]string{{"n", strconv.Itoa(b.N)}, {"mode", mode}, {"where", "handler"}}}),
			Stdout: io.Discard, Stderr: &errb,
		})
		if err := rt.Run(context.Background()); err != nil {
			b.Fatalf("%v\n%s", err, errb.String())
		}
		return float64(time.Since(start).Nanoseconds()) / float64(b.N)
	}
	put := run("put")
	get := run("get")
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(put, "put-ns/op")
	b.ReportMetric(get, "get-ns/op")
}
