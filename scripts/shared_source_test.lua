-- Tests of shared_source.lua.
test("both handlers see every word", {
  expect = {stdout = {"handler 1 counted 19 letters", "handler 2 saw STREAM LUA KAFKA CACHE"}},
})
