-- Tests of temporal_join.lua.
test("each activity gets the latest earlier weather", {
  expect = {stdout = {"swimming 🌞", "walking home ⛅", "shopping 🌦️", "lunch 🌧"}},
})
