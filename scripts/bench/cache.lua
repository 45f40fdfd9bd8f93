-- The streamctl side of the cache rows of scripts/bench/run.sh: args.n puts
-- (args.mode = "put") or gets ("get") of keys 1..n in cache "bench", each
-- value {user = "u12345", n = i, tags = {"a", "b"}}. args.where = "top" runs
-- them in a loop at the top level, where every write is durable when it
-- returns; "handler" runs one per record of a handler, where writes are
-- deferred and committed at the commit interval and at the end (api.md
-- section 10). scripts/bench/cacheraw is the same work in plain goleveldb.
local c = cache.open("bench")
local n = tonumber(args.n)
local function put(i)
  c:put(i, {user = "u12345", n = i, tags = {"a", "b"}})
end
local function get(i)
  local v = c:get(i)
  if v.n ~= i then error("bad value at " .. i) end
end
local op = args.mode == "put" and put or get
if args.where == "handler" then
  local i = 0
  handle(iterate(function()
    i = i + 1
    if i <= n then return i end
  end), op)
else
  for i = 1, n do op(i) end
end
