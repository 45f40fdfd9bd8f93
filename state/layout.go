package state

// Layout of the database
//
// A state directory DIR holds one goleveldb database, DIR/db/, for every
// cache, collector state and source position of the job that runs there:
//
//	'c' NAME 0x00 KEY   cache entry: entryVersion, expiry, value (cache.go)
//	'n' NAME            a persistent cache exists (Names lists it when empty)
//	's' NAME            collector state: a value encoding (collector.go)
//	'p' SOURCE          a source's committed position (commit.go)
//
// NAME is a cache or state name ([A-Za-z0-9_.-]+, so it holds no 0x00) and
// KEY an order-preserving key encoding (keys.go), so the entries of a cache
// are one contiguous, ordered range. One database makes a commit of every
// cache a handler wrote, together with the source's position, a single
// atomic goleveldb batch.
const (
	nsCache    = 'c'
	nsRegister = 'n'
	nsState    = 's'
	nsPosition = 'p'
)

// cachePrefix returns 'c' NAME 0x00, the prefix of every entry of a cache.
func cachePrefix(name string) []byte {
	b := make([]byte, 0, len(name)+2)
	b = append(b, nsCache)
	b = append(b, name...)
	return append(b, 0)
}

// nsKey returns ns followed by name.
func nsKey(ns byte, name string) []byte {
	b := make([]byte, 0, len(name)+1)
	return append(append(b, ns), name...)
}

// prefixEnd returns the least key greater than every key that starts with
// prefix (prefix must not end in 0xff).
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	end[len(end)-1]++
	return end
}
