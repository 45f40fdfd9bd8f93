-- Tests of kafka_produce_file.lua: what the topic received, in order.
test("the non-empty lines of the file", {
  args = {"data/hosts.kv", topic = "hosts"},
  expect = {
    ["kafka:hosts"] = {"host=alpha status=ok port=2222", "host=beta status=down", "host=gamma status=ok"},
    stdout = {"produced 3 lines of data/hosts.kv to topic hosts"},
  },
})

test("a file is required", {
  expect = {error = "usage: streamctl run kafka_produce_file.lua"},
})
