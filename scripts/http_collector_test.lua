-- Tests of http_collector.lua. http.get is answered from the http table;
-- the collector's saved state starts empty in every test.
local feed = {items = {
  {id = "b", time = "2026-01-02T09:00:00Z", title = "second"},
  {id = "a", time = "2026-01-02T08:00:00Z", title = "first"},
  {id = "c", time = "2026-01-02T09:00:00Z", title = "same time, later id"},
}}

test("prints every item, oldest first", {
  args = {url = "https://example.com/feed.json"},
  http = {["https://example.com/feed.json"] = {status = 200, body = feed}},
  expect = {
    stdout = {
      "2026-01-02T08:00:00Z a first",
      "2026-01-02T09:00:00Z b second",
      "2026-01-02T09:00:00Z c same time, later id",
    },
  },
})

test("an error status fails the run", {
  args = {url = "https://example.com/feed.json"},
  http = {["https://example.com/feed.json"] = {status = 404, body = "no such feed"}},
  expect = {error = "GET https://example.com/feed.json: status 404", stdout = {}},
})

test("a 503 is retried three times, then fails the run", {
  -- The delays between the retries pass on the virtual clock: no waiting.
  args = {url = "https://example.com/feed.json"},
  http = {["https://example.com/feed.json"] = {status = 503, body = "busy"}},
  expect = {error = "GET https://example.com/feed.json: 503 Service Unavailable after 3 retries", stdout = {}},
})
