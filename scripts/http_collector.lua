-- Cron collector: fetch a JSON feed and print each item not seen before.
--
-- Run it every few minutes from cron; the state saved under "collector"
-- remembers how far it got:
--   */5 * * * * streamctl run scripts/http_collector.lua --set url=https://example.com/feed.json
--
-- The feed is {"items": [{"id": "a1", "time": "2026-01-02T03:04:05Z", "title": "..."}, ...]}.
-- Items are handled oldest first, and the state is saved after each one: its
-- time (and its id, to tell apart items of the same time) is the cursor, and
-- the next run prints only the items after it.
--
-- A crash (kill -9, a reboot) never loses an item: an item is printed, and
-- the print flushed, before the state saying "done up to this item" is saved.
-- It may repeat one: if the crash comes between the print and the save, the
-- next run prints that item again. So a consumer sees every item at least
-- once, and the only possible repeat is the item in flight at the crash.

local url = args.url or error("set the feed's URL: --set url=https://...")

local st = state.load("collector", {})
local since = st.last_utc and time.parse(st.last_utc) or -math.huge
local since_id = st.last_id or ""

local resp = http.get(url, {timeout = "30s", retries = 3})
if resp.status ~= 200 then
  error(("GET %s: status %d"):format(url, resp.status))
end

local items = json.decode(resp.body).items
for _, item in ipairs(items) do item.t = time.parse(item.time) end
table.sort(items, function(a, b)
  if a.t ~= b.t then return a.t < b.t end
  return a.id < b.id
end)

local new = 0
for _, item in ipairs(items) do
  if item.t > since or (item.t == since and item.id > since_id) then
    print(("%s %s %s"):format(time.format(item.t), item.id, item.title))
    st.last_utc, st.last_id = time.format(item.t), item.id
    state.save("collector", st) -- after each item: a crash resumes here
    new = new + 1
  end
end
log.info("collected", {new = new, last_utc = st.last_utc})
