-- Tests of pipe_ops.lua.
test("pairwise, accumulate and both", {
  expect = {
    stdout = {
      "# pairwise over 0..3", "(0, 1)", "(1, 2)", "(2, 3)",
      "# accumulate over 0..3", "0", "1", "3", "6",
      "# accumulate then pairwise over 0..4", "(0, 1)", "(1, 3)", "(3, 6)", "(6, 10)",
    },
  },
})
