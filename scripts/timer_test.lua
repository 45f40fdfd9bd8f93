-- Tests of timer.lua (run them: streamctl test scripts/timer_test.lua). The
-- clock is virtual: the three ticks of 100ms take no time, and meta.time is
-- the virtual time of each tick.
test("three ticks, then the summary", {
  expect = {
    stdout = {"tick 1", "tick 2", "tick 3", "done after 3 ticks"},
  },
})
