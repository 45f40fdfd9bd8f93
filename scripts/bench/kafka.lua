-- The streamctl side of the Kafka row of scripts/bench/run.sh: consume
-- args.n records of topic args.input as a member of group args.group and
-- produce each value with its key (meta.key) to topic args.output, then stop.
-- scripts/bench/kafkaraw is the same job in plain franz-go.
local n, limit = 0, tonumber(args.n)
handle(kafka.topic(args.input, {group = args.group}), {sink = kafka.topic(args.output)}, function(v, meta)
  n = n + 1
  if n == limit then stop() end
  return v, meta.key
end)
