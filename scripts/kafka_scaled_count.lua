-- Per-user click counts that scale out over a consumer group: run this
-- script in several terminals, each with its own state directory, and the
-- group splits the partitions of "clicks" between them. Each user's count
-- lives in the shard of the user's partition of a partitioned cache and
-- moves with the partition: stop a process (or kill -9 it, or delete its
-- state directory) and the process that takes its partitions restores
-- their counts from the changelog topic click-counter-click_counts-changelog.
-- With exactly_once = true, each click's output {user, name, clicks} is
-- committed to "click-counts" together with the count and the input
-- offset: a read_committed consumer sees it once. The user names come from
-- a global cache that every process holds whole.
--
-- Run, with a broker in another terminal:
--   streamctl dev-broker --topic clicks                                (3 partitions)
--   streamctl run scripts/kafka_scaled_count.lua --state-dir a         (terminal 1)
--   streamctl run scripts/kafka_scaled_count.lua --state-dir b         (terminal 2)
-- Produce clicks keyed by user (the key picks the partition, so a user's
-- clicks are all counted in one shard), and names into the global cache,
-- from another script run with its own --state-dir:
--   kafka.topic("clicks", {codec = "json"}):send({page = "/"}, "ann")
--   cache.open("users", {global = "users"}):put("ann", {name = "Ann"})
-- Ctrl-C commits and leaves the group; the other process restores the
-- partitions it takes over, then prints, when it stops, the counts of the
-- partitions it holds.
--
-- Options (--set k=v): limit (stop after that many clicks; the test uses it).

local clicks = kafka.topic("clicks", {group = "click-counter", codec = "json", exactly_once = true})
local counts = cache.open("click_counts", {partitioned_by = clicks})
local users = cache.open("users", {global = "users"})
local out = kafka.topic("click-counts", {codec = "json", auto_create = true})
local limit, n = tonumber(args.limit), 0

handle(clicks, {sink = out}, function(click, meta)
  n = n + 1
  if n == limit then stop() end
  local name = users:get(meta.key, {name = "?"}).name
  return {user = meta.key, name = name, clicks = counts:incr(meta.key)}, meta.key
end)

on_stop(function(err)
  if err then return end -- the run failed: streamctl says why
  for user, c in counts:range() do -- outside the handler: every shard held
    print(string.format("%s: %d clicks", user, c))
  end
end)
