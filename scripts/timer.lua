-- Timer: run a function every so often, a fixed number of times.
--
-- timer{every=, count=} is a source whose records are ticks: the value is
-- nil and meta.time is the tick's wall-clock time. With count it ends after
-- that many ticks, and so does the script.
--
-- Run: go run ./cmd/streamctl run scripts/timer.lua

local ticks = 0

handle(timer{every = "100ms", count = 3}, function(_, meta)
  ticks = ticks + 1
  assert(type(meta.time) == "number") -- Unix seconds, see time.format
  return "tick " .. ticks
end)

on_stop(function(err)
  if not err then print("done after " .. ticks .. " ticks") end
end)
