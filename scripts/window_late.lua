-- Late events: page views counted per page in tumbling windows of one
-- minute, with 10 seconds of grace for events that arrive out of order.
--
-- The watermark is the greatest event time seen minus the grace. A window
-- [start, start + 60) is emitted once the watermark reaches its end; an
-- event whose window was already emitted is late: it is not counted but
-- written to the dead-letter file late.ndjson (one JSON view per line),
-- where another job or a person can look at it. The view of "/b" at 00:50 arrives after
-- the watermark passed 01:00 and is late; the one at 01:55 arrives within
-- the grace and still counts.
--
-- Run: go run ./cmd/streamctl run scripts/window_late.lua && cat late.ndjson

local views = {
  {page = "/a", at = "00:05"}, {page = "/b", at = "00:20"}, {page = "/a", at = "00:40"},
  {page = "/a", at = "01:10"}, {page = "/b", at = "01:12"}, {page = "/b", at = "00:50"},
  {page = "/a", at = "02:03"}, {page = "/b", at = "01:55"}, {page = "/b", at = "02:30"},
  {page = "/a", at = "01:30"},
}

local base = time.parse("2024-05-01 12:00:00")
local function seconds(mmss)
  local m, s = mmss:match("(%d+):(%d+)")
  return base + tonumber(m) * 60 + tonumber(s)
end

local dead = file{path = "late.ndjson", codec = "json", append = false}

handle(iterate(views), {pipe = {window.tumbling{
  size = "1m",
  grace = "10s",
  time = function(v) return seconds(v.at) end,
  key = function(v) return v.page end,
  late = dead,
  cache = cache.open("late-windows", {memory = true}),
}}}, function(w)
  return string.format("%s %s %s %d", w.key, time.format(w.start, "%H:%M:%S"),
    time.format(w["end"], "%H:%M:%S"), w.value)
end)
