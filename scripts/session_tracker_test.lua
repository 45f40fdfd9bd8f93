-- Tests of session_tracker.lua: four keyed workers build the sessions; the
-- timer's sweeps run on the virtual clock.
test("sessions per user, the stale one swept", {
  expect = {
    stdout = {
      "user1: Session started, search, logout",
      "user2: Session started, search, logout",
      "stale sessions removed: 1",
    },
  },
})
