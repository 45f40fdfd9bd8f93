-- Tests of window_late.lua: the counts, and the late views in the
-- dead-letter file (kept in memory under test: the file is not written).
test("late views go to late.ndjson", {
  expect = {
    stdout = {
      "/a 12:00:00 12:01:00 2",
      "/b 12:00:00 12:01:00 1",
      "/a 12:01:00 12:02:00 1",
      "/b 12:01:00 12:02:00 2",
      "/a 12:02:00 12:03:00 1",
      "/b 12:02:00 12:03:00 1",
    },
    ["file:late.ndjson"] = {{page = "/b", at = "00:50"}, {page = "/a", at = "01:30"}},
  },
})
