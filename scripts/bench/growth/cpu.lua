-- The -w rows of scripts/bench/growth.sh: a CPU-bound handler (a hash of a
-- 40-byte string, 40 loop iterations per record) over args.n records from
-- iterate, in args.workers worker states, records keyed round robin.
local n = tonumber(args.n)
local s = string.rep("abcdefghij", 4)
local i = 0
handle(iterate(function()
  i = i + 1
  if i <= n then return i end
end), {workers = tonumber(args.workers), key = function(v) return v % 64 end, sink = function() end}, function(v)
  local h = v
  for j = 1, #s do h = (h * 31 + s:byte(j)) % 65521 end
  return h
end)
