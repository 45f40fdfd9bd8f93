-- Joins: a temporal join of activities with the weather: each activity is
-- enriched with the latest weather reading at or before its time.
--
-- Both streams arrive on one source, ordered by event time (as two Kafka
-- partitions merged by time would): weather readings are stored in a cache
-- keyed by their time, and each activity looks up the greatest key <= its
-- time with c:floor. Because a reading is stored before any later activity
-- is handled, the join never uses a reading from the activity's future.
-- (scripts/temporal_join.lua does the same with the readings loaded first;
-- scripts/sync_checkpoint.lua handles a weather feed that falls behind.)
--
-- Run: go run ./cmd/streamctl run scripts/window_join.lua

local weather = cache.open("join-weather", {memory = true})

local function at(hhmm) return time.parse("2024-05-01 " .. hhmm .. ":00") end

local stream = {
  {weather = "🌞", time = "10:00"},
  {activity = "swimming", time = "10:30"},
  {weather = "⛅", time = "11:00"},
  {activity = "walking home", time = "11:30"},
  {weather = "🌦️", time = "12:00"},
  {activity = "shopping", time = "12:15"},
  {weather = "🌧", time = "13:00"},
  {activity = "lunch", time = "13:05"},
}

handle(iterate(stream), function(e)
  local t = at(e.time)
  if e.weather then
    weather:put(t, e.weather)
    return nil
  end
  local _, w = weather:floor(t)
  return e.activity .. " " .. (w or "?")
end)
