-- Tests of iterate_pause.lua: iterate's every = and sleep in a handler
-- wait on the virtual clock, so the test takes no time.
test("steps, then the countdown", {
  expect = {
    stdout = {"step: fetch", "step: parse", "step: store", "countdown: 3", "countdown: 2", "countdown: 1"},
  },
})
