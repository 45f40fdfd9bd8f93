-- Shared source: one source object, several handlers. Each handler sees
-- every record (a broadcast); the slowest one sets the pace.
--
-- Run: go run ./cmd/streamctl run scripts/shared_source.lua

local words = iterate({"stream", "lua", "kafka", "cache"})

-- Handler 1: counts letters.
local letters = 0
handle(words, {sink = function() end}, function(word)
  letters = letters + #word
end)

-- Handler 2: collects the words in upper case.
local upper = {}
handle(words, {sink = function(w) upper[#upper + 1] = w end}, function(word)
  return word:upper()
end)

-- The two handlers run concurrently; report once both are done.
on_stop(function()
  print("handler 1 counted " .. letters .. " letters")
  print("handler 2 saw " .. table.concat(upper, " "))
end)
