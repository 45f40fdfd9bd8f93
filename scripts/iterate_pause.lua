-- Iterate with a pause: feed a list (or a generator function) to a handler,
-- one item at a time, waiting between items.
--
-- iterate(items, {every = d}) waits d between two items. A handler can also
-- pause by itself with sleep(d): sleep yields this handler only, other
-- handlers keep running.
--
-- Run: go run ./cmd/streamctl run scripts/iterate_pause.lua

local steps = {"fetch", "parse", "store"}

handle(iterate(steps, {every = "50ms"}), function(step)
  return "step: " .. step
end)

-- A generator: iterate calls the function until it returns nil.
local n = 0
local function countdown()
  n = n + 1
  if n <= 3 then return 4 - n end
end

-- Both handlers run at once; their lines are collected and printed at the
-- end so the output does not depend on how they interleave.
local lines = {}
handle(iterate(countdown), {sink = function(line) lines[#lines + 1] = line end}, function(i)
  sleep("20ms") -- the pause is in the handler this time
  return "countdown: " .. i
end)

on_stop(function()
  for _, line in ipairs(lines) do print(line) end
end)
