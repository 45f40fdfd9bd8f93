-- Endpoint: serve a cache's updates to web clients as server-sent events.
--
-- A timer writes the current time into a cache with c("time", t), which
-- stores it and publishes it to c:updates(); srv:sse streams every update to
-- the clients of /updates as an SSE event whose data is the time. Clients
-- get the updates made after they connected. The server keeps the script
-- running until Ctrl-C (or, with count, until that many updates were made).
--
-- Run:
--   go run ./cmd/streamctl run scripts/http_endpoint.lua --set addr=127.0.0.1:8080
--   curl -N http://127.0.0.1:8080/updates
-- Options: addr (default 127.0.0.1:8080), every (default 1s), count.

local addr = args.addr or "127.0.0.1:8080"
local every = args.every or "1s"
local count = tonumber(args.count)

local srv = http.serve{addr = addr}
local now = cache.open("now", {memory = true})
srv:sse("/updates", now:updates())

local updates = 0

handle(timer{every = every}, {name = "clock"}, function(_, meta)
  now("time", time.format(meta.time)) -- store and publish
  updates = updates + 1
  if updates == count then stop() end
end)

log.info("serving updates", {url = "http://" .. srv:addr() .. "/updates"})
on_stop(function() print("stopped") end)
