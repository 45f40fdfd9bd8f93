-- The streamctl side of the window row of scripts/bench/run.sh: a keyed
-- tumbling count (10 s windows per user) over the NDJSON events
-- {"user":..., "t":...} of the file args.path, with the default
-- durability (windows and the file's position committed every second).
-- Each window is written as "user start count" when it closes.
handle(file{path = args.path, codec = "json"}, {
  pipe = {window.tumbling{size = 10, time = function(e) return e.t end, key = function(e) return e.user end}},
  sink = stdout{codec = "text"},
}, function(w)
  return w.key .. " " .. w.start .. " " .. w.value
end)
