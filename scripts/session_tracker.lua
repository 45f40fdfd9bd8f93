-- A thread-safe session store: user actions handled by 4 workers in parallel.
--
-- `key` sends all actions of one user to the same worker, in order, so a
-- user's session is built in action order. The sessions live in a cache,
-- shared by every worker state (globals would be per worker), and change
-- only through c:update, an atomic read-modify-write across workers.
-- A timer sweeps sessions idle for longer than STALE seconds with c:sweep;
-- its count makes it end, and with it the script. A stale session is
-- planted at start to show the sweep at work.
--
-- Run: go run ./cmd/streamctl run scripts/session_tracker.lua

local STALE = 3600 -- seconds without an action

local sessions = cache.open("sessions", {memory = true})

local actions = {
  {user = "user1", action = "login"}, {user = "user2", action = "login"},
  {user = "user1", action = "search"}, {user = "user2", action = "search"},
  {user = "user1", action = "logout"}, {user = "user2", action = "logout"},
}

handle(iterate(actions), {workers = 4, key = function(e) return e.user end}, function(e)
  sessions:update(e.user, function(s)
    local now = time.now()
    if e.action == "login" or not s then
      log.info("session started", {user = e.user})
      return {events = {"Session started"}, last = now}
    end
    table.insert(s.events, e.action)
    s.last = now
    log.info("session updated", {user = e.user, action = e.action})
    return s
  end)
end)

local swept = 0
on_start(function()
  sessions:put("ghost", {events = {"Session started"}, last = time.now() - 2 * STALE})
end)
handle(timer{every = "20ms", count = 3}, function()
  local cutoff = time.now() - STALE
  sessions:sweep(function(user, s)
    if s.last >= cutoff then return true end
    swept = swept + 1
    return false
  end)
end)

on_stop(function()
  for user, s in sessions:range{} do -- in key order: user1, user2
    print(user .. ": " .. table.concat(s.events, ", "))
  end
  print("stale sessions removed: " .. swept)
end)
