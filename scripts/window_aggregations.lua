-- Aggregations: a sliding window of 3 seconds over a stream of emoji.
--
-- For every event at time t, window.sliding{size = 3} emits the window
-- [t - 3, t] (both ends included) with the events that fall in it; the
-- agg table counts each emoji. So the window ending at 3.5 holds 📞 (0.5),
-- 🐟 (1.0), 👌 (2.0) and 🏆 (3.5) once each: the 🏆 at 0.0 has slid out.
--
-- The windows live in a memory cache here; without cache = they persist in
-- the state directory's "windows" cache and a restart continues them.
--
-- Run: go run ./cmd/streamctl run scripts/window_aggregations.lua

local events = {
  {"🏆", 0.0}, {"📞", 0.5}, {"🐟", 1.0}, {"👌", 2.0},
  {"🏆", 3.5}, {"📞", 4.0}, {"🐟", 5.0}, {"👌", 5.5},
}
local order = {"🏆", "📞", "🐟", "👌"}

local counts = {
  init = function() return {} end,
  add = function(acc, e)
    acc[e[1]] = (acc[e[1]] or 0) + 1
    return acc
  end,
}

handle(iterate(events), {pipe = {window.sliding{
  size = 3,
  time = function(e) return e[2] end,
  agg = counts,
  cache = cache.open("emoji-windows", {memory = true}),
}}}, function(w)
  local parts = {}
  for _, emoji in ipairs(order) do
    if w.value[emoji] then parts[#parts + 1] = emoji .. "×" .. w.value[emoji] end
  end
  return string.format("[%.1f, %.1f] %s", w.start, w["end"], table.concat(parts, " "))
end)
