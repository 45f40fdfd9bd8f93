-- Tests of kafka_group.lua. inputs["kafka:events"] is the topic's content:
-- records with a partition; the member reads all of them.
test("one member handles every partition", {
  args = {name = "a"},
  inputs = {["kafka:events"] = {
    partitions = 2,
    record{value = "1", partition = 0},
    record{value = "2", partition = 1},
    record{value = "3", partition = 0},
  }},
  expect = {
    stderr = {"a: partition 0 offset 0: 1", "a: partition 1 offset 0: 2", "a: partition 0 offset 1: 3"},
    stdout = {"a handled 3 records", "  partition 0: 2 records, offsets 0-1", "  partition 1: 1 records, offsets 0-0"},
  },
})
