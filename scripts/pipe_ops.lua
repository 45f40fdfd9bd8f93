-- Pipe: operators applied to records before the handler function, in order
-- (Python's itertools.pairwise and accumulate, the cookbook's "Pipe").
--
--   pipe.pairwise()      emits {previous, current}
--   pipe.accumulate()    a running sum (give a function and an init to fold
--                        something else); the first record passes as is
--
-- Each handler's outputs are collected and printed at the end, one section
-- per pipeline, one record per line.
--
-- Run: go run ./cmd/streamctl run scripts/pipe_ops.lua

local function pair(p) return string.format("(%d, %d)", p[1], p[2]) end

local sections = {
  {title = "pairwise over 0..3", out = {}},
  {title = "accumulate over 0..3", out = {}},
  {title = "accumulate then pairwise over 0..4", out = {}},
}
local function collect(i)
  return function(v) table.insert(sections[i].out, v) end
end

handle(iterate({0, 1, 2, 3}), {pipe = {pipe.pairwise()}, sink = collect(1)}, pair)

handle(iterate({0, 1, 2, 3}), {pipe = {pipe.accumulate()}, sink = collect(2)}, function(total)
  return tostring(total)
end)

handle(iterate({0, 1, 2, 3, 4}), {pipe = {pipe.accumulate(), pipe.pairwise()}, sink = collect(3)}, pair)

on_stop(function()
  for _, s in ipairs(sections) do
    print("# " .. s.title)
    for _, line in ipairs(s.out) do print(line) end
  end
end)
