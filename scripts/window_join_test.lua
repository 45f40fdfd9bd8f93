-- Tests of window_join.lua.
test("weather is never taken from the future", {
  expect = {stdout = {"swimming 🌞", "walking home ⛅", "shopping 🌦️", "lunch 🌧"}},
})
