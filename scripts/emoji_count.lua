-- Sink: count emoji with a cache as the handler's sink.
--
-- The handler returns `count, emoji`; the cache sink stores each count under
-- its emoji key. With workers = 1 a record's outputs reach the sink before
-- the next record, so counts:get(e, 0) always sees the previous count.
-- A memory cache: nothing is kept after the run (drop memory = true to keep
-- the counts in the state directory, and see them with `streamctl state dump emoji`).
--
-- Run: go run ./cmd/streamctl run scripts/emoji_count.lua

local counts = cache.open("emoji", {memory = true})

handle(iterate{"🏆", "📞", "🐟", "👌", "🏆", "📞", "🐟", "👌"}, {sink = counts}, function(e)
  return counts:get(e, 0) + 1, e
end)

on_stop(function()
  -- Print in a fixed order (the cookbook's), not in key order.
  local parts = {}
  for _, e in ipairs{"👌", "🏆", "📞", "🐟"} do
    table.insert(parts, e .. "=" .. counts:get(e, 0))
  end
  print("{" .. table.concat(parts, ", ") .. "}")
end)
