-- Produce the lines of a file to a Kafka topic, one message per line
-- (text codec, no key: the producer spreads them over the partitions).
-- The run ends once every line was acknowledged by the broker, then prints
-- how many lines it produced. Empty lines are skipped.
--
-- Run, with a broker in another terminal:
--   streamctl dev-broker --topic lines
--   streamctl run scripts/kafka_produce_file.lua -- /etc/services
--   streamctl run scripts/kafka_produce_file.lua --set topic=orders -- orders.ndjson
--   kcat -b 127.0.0.1:9092 -C -t lines -e     (to read them back)
-- Options: the file is args[1] (after --) or --set file=PATH; --set
-- topic=NAME (default "lines"); the topic must exist unless --set create=1
-- (then the broker is asked to create it).

local path = args[1] or args.file
if not path then error("usage: streamctl run kafka_produce_file.lua [--set topic=T] -- FILE") end
local topic = args.topic or "lines"
local out = kafka.topic(topic, {codec = "text", auto_create = args.create ~= nil})
local n = 0

handle(file{path = path}, {sink = out}, function(line)
  if line == "" then return nil end
  n = n + 1
  return line
end)

on_stop(function(err)
  if err then return end -- the run failed: streamctl says why, and nothing was "produced"
  print(string.format("produced %d lines of %s to topic %s", n, path, topic))
end)
