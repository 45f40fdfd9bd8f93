-- Tests of sync_checkpoint.lua: the script produces the activities to its
-- own topic, pauses it and seeks it back; the test topic does all of that
-- in memory.
test("shopping is redone once the weather is back", {
  expect = {
    stdout = {
      "swimming 🌞",
      "walking home ⛅",
      "activity paused: no weather since 11:00",
      "downtime detected: 1:30:00 (5400 s)",
      "shopping ⛅",
      "weather is back: seeking activity back to partition 0 offset 2",
      "shopping 🌦️",
      "lunch 🌧",
    },
    ["kafka:activity"] = {
      {name = "swimming", time = "10:30"}, {name = "walking home", time = "11:30"},
      {name = "shopping", time = "12:30"}, {name = "lunch", time = "13:05"},
    },
  },
})
