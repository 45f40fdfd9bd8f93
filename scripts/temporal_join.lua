-- Joins: a temporal join of activities with the weather, through the cache.
--
-- Weather readings are stored with their time as the key. Each activity is
-- joined to the latest reading at or before its time with c:floor(t): the
-- greatest key <= t. Here the readings are stored at the top level, before
-- any activity is read; with a live weather feed, join an activity only once
-- that feed has passed the activity's time.
--
-- Run: go run ./cmd/streamctl run scripts/temporal_join.lua

local weather = cache.open("weather", {memory = true})

local function at(hhmm) return time.parse("2024-05-01 " .. hhmm .. ":00") end

for _, w in ipairs{{"10:00", "🌞"}, {"11:00", "⛅"}, {"12:00", "🌦️"}, {"13:00", "🌧"}} do
  weather:put(at(w[1]), w[2])
end

local activities = {
  {"swimming", "10:30"}, {"walking home", "11:30"}, {"shopping", "12:15"}, {"lunch", "13:05"},
}

handle(iterate(activities), function(a)
  local _, w = weather:floor(at(a[2]))
  return a[1] .. " " .. (w or "?")
end)
