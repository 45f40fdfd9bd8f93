-- A Kafka consumer group member: run this script in two (or more)
-- terminals and the group splits the topic's partitions between the
-- processes; stop one and the others take over its partitions, starting
-- from the offsets it committed. Each record is printed to stderr with the
-- partition and offset it came from, so you can watch the split; when the
-- member stops it prints, on stdout, how many records it handled per
-- partition.
--
-- Run, with a broker in another terminal:
--   streamctl dev-broker --topic events          (3 partitions by default)
--   streamctl run scripts/kafka_group.lua --set name=a      (terminal 1)
--   streamctl run scripts/kafka_group.lua --set name=b      (terminal 2)
--   seq 1 30 > n.txt
--   streamctl run scripts/kafka_produce_file.lua --set topic=events -- n.txt
-- Each member prints only the records of its own partitions. Ctrl-C commits
-- what it handled and leaves the group (exit 130); the other member then
-- gets all partitions within a few seconds.
--
-- Options (--set k=v): name (member name, default "member"), topic
-- (default "events"), group (default "streamctl-demo"), limit (stop after
-- that many records; the test uses it).

local name = args.name or "member"
local events = kafka.topic(args.topic or "events", {group = args.group or "streamctl-demo", codec = "text"})
local limit = tonumber(args.limit)
local n, per_partition = 0, {}

handle(events, {sink = stderr()}, function(value, meta)
  n = n + 1
  if n == limit then stop() end
  local p = per_partition[meta.partition] or {count = 0, first = meta.offset}
  p.count, p.last = p.count + 1, meta.offset
  per_partition[meta.partition] = p
  return string.format("%s: partition %d offset %d: %s", name, meta.partition, meta.offset, value)
end)

on_stop(function(err)
  if err then return end -- the run failed: streamctl says why
  local parts = {}
  for partition in pairs(per_partition) do parts[#parts + 1] = partition end
  table.sort(parts)
  print(string.format("%s handled %d records", name, n))
  for _, partition in ipairs(parts) do
    local p = per_partition[partition]
    print(string.format("  partition %d: %d records, offsets %d-%d", partition, p.count, p.first, p.last))
  end
end)
