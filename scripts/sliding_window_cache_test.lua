-- Tests of sliding_window_cache.lua.
test("a 3 s window per event", {
  expect = {
    stdout = {
      "window [-3.0, 0.0]: 🏆=1",
      "window [-2.5, 0.5]: 🏆=1 📞=1",
      "window [-2.0, 1.0]: 🏆=1 📞=1 🐟=1",
      "window [-1.0, 2.0]: 🏆=1 📞=1 🐟=1 👌=1",
      "window [0.5, 3.5]: 📞=1 🐟=1 👌=1 🏆=1",
      "window [1.0, 4.0]: 🐟=1 👌=1 🏆=1 📞=1",
      "window [2.0, 5.0]: 👌=1 🏆=1 📞=1 🐟=1",
      "window [2.5, 5.5]: 🏆=1 📞=1 🐟=1 👌=1",
    },
  },
})
