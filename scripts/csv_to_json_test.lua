-- Tests of csv_to_json.lua, from stdin and from a file. Tables in expect
-- match a JSON line with the same fields and values.
local people = {
  {name = "Ann", age = 31, city = "Oslo"},
  {name = "Bo, Jr.", age = 7, city = "São Paulo"},
  {name = "Chen", age = 45.5, city = "Taipei"},
}

test("a file named in args", {
  args = {"data/people.csv"}, -- relative to this file's directory
  expect = {stdout = people},
})

test("stdin, with fields in header order", {
  stdin = {"name,age,city", "Ann,31,Oslo"},
  expect = {stdout = {'{"name":"Ann","age":31,"city":"Oslo"}'}},
})

test("a field that is not a number stays text", {
  stdin = "id,zip\nx1,0042\ny2,N/A\n",
  expect = {stdout = {{id = "x1", zip = 42}, {id = "y2", zip = "N/A"}}},
})
