-- Synchronization: activities are enriched with the weather, but the
-- weather feed stalls. A checkpoint notices it in event time, pauses the
-- activity topic, and when the weather is back seeks the topic back to the
-- first activity that was enriched with stale weather, so it is redone.
--
-- Streams (all times are event times from the data, never the wall clock):
--   activity  Kafka topic "activity" (one partition), the dependent. The
--             script produces the four activities at the start.
--   weather   readings at 10:00 🌞, 11:00 ⛅, 12:00 🌦️, 13:00 🌧, from a
--             simulated feed (an iterate generator), the dependency.
--
-- Flow: the activity handler pulses the checkpoint with the activity's time
-- and Kafka position, then joins the latest reading at or before that time
-- (c:floor). The weather handler stores each reading and heartbeats its
-- time. With a threshold of 1h, "shopping" at 12:30 sees the last heartbeat
-- at 11:00: downtime 1:30:00, so the topic is paused, on_downtime runs and
-- shopping gets the stale ⛅ (the one faulty enrichment). When the 13:00
-- reading arrives (later than the last pulse, 12:30) the weather is up
-- again: on_recovery seeks partition 0 back to offset 2 (shopping's
-- position, saved by its pulse) and resumes the topic; shopping and lunch
-- are redone with the right weather.
--
-- Making the order deterministic: the weather feed is paced by the activity
-- stream, as a real feed would be by the clock. Readings are published to
-- the weather handler through a cache's updates (feed(k, v) publishes one,
-- feed:updates() is the weather source). Before joining an activity at time
-- t, the activity handler publishes the readings up to t and waits until
-- the weather handler has stored them (sleep polls a shared global and lets
-- the other handler run; Lua code between two waits runs atomically, so the
-- globals need no locks). After ⛅ the feed is silent (the outage) until the
-- activity handler has seen the downtime; then the feed delivers its
-- backlog, 🌦️ and 🌧, and the 🌧 heartbeat brings the weather back.
-- Records the topic handed over before it was paused or sought are skipped:
-- the handler drops records while the weather is down and, after a seek,
-- every record until the one sought to arrives again.
--
-- Run, with a broker in another terminal (streamctl dev-broker --partitions 1
-- --topic activity): go run ./cmd/streamctl run scripts/sync_checkpoint.lua

local function at(hhmm) return time.parse("2024-05-01 " .. hhmm .. ":00") end
local function hms(s) return string.format("%d:%02d:%02d", math.floor(s / 3600), math.floor(s % 3600 / 60), s % 60) end

local activity = kafka.topic("activity", {codec = "json", offset = "earliest"})
for _, a in ipairs{{"swimming", "10:30"}, {"walking home", "11:30"}, {"shopping", "12:30"}, {"lunch", "13:05"}} do
  activity:send({name = a[1], time = a[2]})
end

local weather = cache.open("sync-weather", {memory = true})
local readings = {{"10:00", "🌞"}, {"11:00", "⛅"}, {"12:00", "🌦️"}, {"13:00", "🌧"}}

-- Shared between the handlers.
local published = -math.huge -- time of the last reading published to the feed
local stored = -math.huge    -- time of the last reading the weather handler stored
local outage_over = false    -- the feed may deliver its backlog
local expect = nil           -- after a seek: the offset to process next

local cp = checkpoint.new("activity", {
  dependent = activity,
  dependencies = {{name = "weather", threshold = "1h"}},
  cache = cache.open("sync-checkpoints", {memory = true}),
  on_downtime = function(cp, dep)
    print("activity paused: no weather since " .. time.format(dep.checkpoint_time, "%H:%M"))
  end,
  on_recovery = function(cp, dep)
    local offset = dep.checkpoint_state["0"]
    print(string.format("weather is back: seeking activity back to partition 0 offset %d", offset))
    expect = offset
    activity:seek(dep.checkpoint_state)
  end,
})

-- The simulated weather feed: publish(t) publishes the readings up to t,
-- except during the outage.
local feed = cache.open("sync-feed", {memory = true})
local next_reading = 1
local function publish(t)
  while readings[next_reading] do
    local r = readings[next_reading]
    if at(r[1]) > t or (next_reading == 3 and not outage_over) then break end
    feed(next_reading, r)
    published = at(r[1])
    next_reading = next_reading + 1
  end
end

handle(feed:updates(), function(r)
  local t = at(r[1])
  weather:put(t, r[2])
  stored = t
  cp:heartbeat("weather", t)
end)

handle(activity, function(a, meta)
  if expect and meta.offset ~= expect then return nil end -- handed over before the seek
  if cp:dep("weather").down then return nil end -- read before the pause: redone after the seek
  expect = nil
  local t = at(a.time)
  publish(t)
  while stored < published do sleep("5ms") end
  local downtime = cp:pulse(t, {[tostring(meta.partition)] = meta.offset})
  if downtime then
    print(string.format("downtime detected: %s (%d s)", hms(downtime), downtime))
  end
  local _, w = weather:floor(t)
  print(a.name .. " " .. (w or "?"))
  if downtime and not outage_over then
    outage_over = true -- the feed comes back with its backlog
    publish(math.huge)
  end
  if a.name == "lunch" then stop() end
end)
