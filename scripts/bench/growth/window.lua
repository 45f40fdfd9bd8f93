-- The window rows of scripts/bench/growth.sh: args.n events round robin
-- over args.keys keys through a keyed tumbling count of 10 s windows, on
-- the persistent cache, from a handler. Events are 5 / keys seconds apart,
-- so each window holds every key twice.
local n, keys = tonumber(args.n), tonumber(args.keys)
local step = 5 / keys
local i, finals = 0, 0
handle(iterate(function()
  i = i + 1
  if i <= n then return i end
end), {pipe = {window.tumbling{size = 10,
  time = function(e) return 1.7e9 + e * step end,
  key = function(e) return e % keys end}}}, function(w) finals = finals + 1 end)
on_stop(function() print(finals) end)
