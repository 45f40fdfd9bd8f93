-- Tests of http_endpoint.lua: the timer publishes the time into the cache
-- every second of virtual time; count stops it. (The server listens on a
-- free port of 127.0.0.1 under test.)
test("three updates, then stop", {
  args = {count = 3},
  start = "2024-05-01T10:00:00Z",
  expect = {
    stdout = {"stopped"},
    caches = {now = {time = "2024-05-01T10:00:03Z"}},
  },
})
