-- Kafka topic-to-topic transform: read JSON orders from topic "orders" as
-- a member of the consumer group "order-totals", drop empty orders, add a
-- total and write each result to topic "order_totals", keyed by customer.
--
-- At least once: an order's offset is committed only after the broker
-- acknowledged its total, so after a crash the group resumes where the
-- committed offsets say and nothing is lost (a few totals may be written
-- twice). Ctrl-C drains what was read, commits it and exits 130.
--
-- Run, with a broker in another terminal:
--   streamctl dev-broker --topic orders --topic order_totals
-- then feed it orders, one JSON object per line, e.g. with
--   printf '%s\n' '{"id":1,"customer":"ann","qty":2,"price":3.5}' > orders.ndjson
--   streamctl run scripts/kafka_produce_file.lua --set topic=orders -- orders.ndjson
-- and transform them:
--   streamctl run scripts/kafka_transform.lua
--   kcat -b 127.0.0.1:9092 -C -t order_totals -f '%k %s\n'   (to watch the output)
-- --set limit=N stops after N orders (the test does), --brokers or
-- STREAMCTL_BROKERS points at another broker.

local orders = kafka.topic("orders", {group = "order-totals", codec = "json"})
local totals = kafka.topic("order_totals", {codec = "json"})
local limit = tonumber(args.limit)
local seen, written = 0, 0

handle(orders, {sink = totals}, function(order, meta)
  seen = seen + 1
  if seen == limit then stop() end
  if order.qty == 0 then return nil end -- nothing to total: no output
  written = written + 1
  local total = {id = order.id, customer = order.customer, total = order.qty * order.price,
                 from = string.format("%s/%d/%d", meta.topic, meta.partition, meta.offset)}
  return total, order.customer
end)

on_stop(function(err)
  if err then return end -- the run failed: streamctl says why
  print(string.format("%d orders read, %d totals written", seen, written))
end)
