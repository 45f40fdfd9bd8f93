-- Tests of emoji_count.lua: the summary line and what the cache holds.
test("counts each emoji twice", {
  expect = {
    stdout = {"{👌=2, 🏆=2, 📞=2, 🐟=2}"},
    caches = {emoji = {["🏆"] = 2, ["📞"] = 2, ["🐟"] = 2, ["👌"] = 2}},
  },
})
