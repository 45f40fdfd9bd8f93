-- The cache rows of scripts/bench/growth.sh: cache "grow" with args.n keys.
--   args.mode = "fill":  puts keys 1..n from a handler (deferred writes,
--                        committed every second), value {user=, n=, tags=}
--   args.mode = "get":   gets args.sample keys spread over 1..n from a handler
--   args.mode = "range": one c:range{} over every entry, at the top level
local c = cache.open("grow")
local n = tonumber(args.n)
local mode = args.mode
if mode == "range" then
  local count = 0
  for k, v in c:range{} do count = count + 1 end
  if count ~= n then error("range saw " .. count .. " entries, want " .. n) end
  return
end
local total = mode == "get" and tonumber(args.sample) or n
local i = 0
handle(iterate(function()
  i = i + 1
  if i <= total then return i end
end), function(i)
  if mode == "fill" then
    c:put(i, {user = "u" .. (i % 5000), n = i, tags = {"a", "b"}})
  else
    local k = (i * 7919) % n + 1 -- spread over the whole key space
    local v = c:get(k)
    if v.n ~= k then error("bad value at " .. k) end
  end
end)
