-- Aggregations: a sliding window written with the cache.
--
-- Each event is stored under the key {time, seq}: tuple keys sort element by
-- element, so a range over {from, to} visits the events in time order, and
-- seq keeps two events with the same time apart. For every event the script
-- prints the window of 3 seconds ending at its time, the events with time in
-- [t - 3, t], as counts per emoji in order of first appearance.
-- Entries that fell out of every future window are swept away.
--
-- Run: go run ./cmd/streamctl run scripts/sliding_window_cache.lua

local SIZE = 3 -- seconds

local events = {
  {"🏆", 0.0}, {"📞", 0.5}, {"🐟", 1.0}, {"👌", 2.0},
  {"🏆", 3.5}, {"📞", 4.0}, {"🐟", 5.0}, {"👌", 5.5},
}

local window = cache.open("window", {memory = true})
local seq = 0

handle(iterate(events), function(ev)
  local emoji, t = ev[1], ev[2]
  seq = seq + 1
  window:put({t, seq}, emoji)

  -- [t - SIZE, t]: from is inclusive and to exclusive; {x} sorts before
  -- every {x, seq} and {x, math.huge} after every one.
  local counts, order = {}, {}
  for _, e in window:range{from = {t - SIZE}, to = {t, math.huge}} do
    if not counts[e] then table.insert(order, e) end
    counts[e] = (counts[e] or 0) + 1
  end
  local parts = {}
  for _, e in ipairs(order) do table.insert(parts, e .. "=" .. counts[e]) end

  -- Events before t - SIZE are in no later window (times only grow).
  window:sweep(function(k) return k[1] >= t - SIZE end)

  return string.format("window [%.1f, %.1f]: %s", t - SIZE, t, table.concat(parts, " "))
end)
