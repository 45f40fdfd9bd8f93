-- Tests of kafka_transform.lua: orders in, totals out keyed by customer.
-- record{key =, value =} checks the key of a Kafka output too.
test("totals, keyed by customer; empty orders dropped", {
  inputs = {["kafka:orders"] = {
    {id = 1, customer = "ann", qty = 2, price = 3.5},
    {id = 2, customer = "bo", qty = 0, price = 9},
    {id = 3, customer = "chen", qty = 3, price = 1.25},
  }},
  expect = {
    ["kafka:order_totals"] = {
      record{key = "ann", value = {id = 1, customer = "ann", total = 7, from = "orders/0/0"}},
      record{key = "chen", value = {id = 3, customer = "chen", total = 3.75, from = "orders/0/2"}},
    },
    stdout = {"3 orders read, 2 totals written"},
  },
})

test("limit stops after that many orders", {
  -- The second order arrives a minute later (at =): by then the job has
  -- stopped. (Orders already read when stop() is called are drained.)
  args = {limit = 1},
  inputs = {["kafka:orders"] = {
    {id = 1, customer = "ann", qty = 1, price = 1},
    record{value = {id = 2, customer = "bo", qty = 1, price = 1}, at = "1m"},
  }},
  expect = {stdout = {"1 orders read, 1 totals written"}},
})
