local t = kafka.topic("in", {group = "sc", codec = "json", session_timeout = "1s", transaction_timeout = "3s"})
local counts = cache.open("counts", {partitioned_by = t})
handle(t, {commit_interval = "200ms"}, function(v) counts:incr(v.k) end)
