-- Source: print the changes to Wikipedia as they happen, read from a stream
-- of server-sent events.
--
-- http.stream(url, {format = "sse"}) is a source of events: the value is the event's
-- data (here a JSON document, possibly spread over several "data:" lines),
-- meta.event its type and meta.id its ID. When the connection drops, the
-- source reconnects and sends Last-Event-ID, so a server that supports it
-- resumes after the last event seen: nothing is missed or repeated.
--
-- Run (Wikimedia's public feed of recent changes):
--   go run ./cmd/streamctl run scripts/http_sse_source.lua \
--     --set url=https://stream.wikimedia.org/v2/stream/recentchange --set limit=10
-- Without limit it runs until Ctrl-C.

local url = args.url or error("set the stream's URL: --set url=https://...")
local limit = tonumber(args.limit)

local seen = 0

-- on_error = "skip": an event that is not JSON is logged and skipped.
handle(http.stream(url, {format = "sse"}), {name = "wiki", on_error = "skip"}, function(data, meta)
  if limit and seen >= limit then return end -- read before stop() took effect
  if meta.event ~= "message" then return end
  local change = json.decode(data)
  seen = seen + 1
  if limit and seen == limit then stop() end
  return ("Wiki change %s by %s"):format(change.title, change.user)
end)
