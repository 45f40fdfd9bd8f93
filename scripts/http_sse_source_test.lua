-- Tests of http_sse_source.lua. inputs["http:URL"] stands for the stream:
-- each record is an event, record{} gives its type and id.
local url = "https://stream.example.org/recentchange"
local function change(title, user, id)
  return record{value = json.encode{title = title, user = user}, event = "message", id = id}
end

test("prints the changes, skips other events", {
  args = {url = url},
  inputs = {["http:" .. url] = {
    change("Main Page", "Alice", "1"),
    record{value = "{}", event = "heartbeat", id = "2"},
    change("Lua", "Bob", "3"),
  }},
  expect = {stdout = {"Wiki change Main Page by Alice", "Wiki change Lua by Bob"}},
})

test("limit stops after that many changes", {
  args = {url = url, limit = 1},
  inputs = {["http:" .. url] = {change("Main Page", "Alice", "1"), change("Lua", "Bob", "2")}},
  expect = {stdout = {"Wiki change Main Page by Alice"}},
})

test("an event that is not JSON is skipped", {
  args = {url = url},
  inputs = {["http:" .. url] = {record{value = "not json", event = "message"}, change("Lua", "Bob", "2")}},
  expect = {stdout = {"Wiki change Lua by Bob"}},
})
