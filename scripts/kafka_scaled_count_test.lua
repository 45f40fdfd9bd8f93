-- Tests of kafka_scaled_count.lua. Under test the run is the group's only
-- member: the partitioned cache holds every partition, and the global
-- cache "users" starts empty, so every name is "?".
test("counts per user, each output with the running count", {
  args = {limit = 4},
  inputs = {["kafka:clicks"] = {
    partitions = 3,
    record{key = "ann", value = {page = "/"}, partition = 0},
    record{key = "bo", value = {page = "/a"}, partition = 1},
    record{key = "ann", value = {page = "/b"}, partition = 0},
    record{key = "ann", value = {page = "/c"}, partition = 0},
  }},
  expect = {
    ["kafka:click-counts"] = {
      record{key = "ann", value = {user = "ann", name = "?", clicks = 1}},
      record{key = "bo", value = {user = "bo", name = "?", clicks = 1}},
      record{key = "ann", value = {user = "ann", name = "?", clicks = 2}},
      record{key = "ann", value = {user = "ann", name = "?", clicks = 3}},
    },
    stdout = {"ann: 3 clicks", "bo: 1 clicks"},
  },
})
