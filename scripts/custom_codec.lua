-- Custom codec: a codec written in Lua, here "key=value key=value" lines.
--
-- A codec table has decode(string) -> value for sources and
-- encode(value) -> string for sinks; records are framed as lines. The same
-- table works as codec= of stdin, file, stdout and stderr.
--
-- Run: go run ./cmd/streamctl run scripts/custom_codec.lua < scripts/data/hosts.kv

local kv = {}

function kv.decode(line)
  local t = {}
  for k, v in line:gmatch("([%w_]+)=(%S+)") do t[k] = v end
  return t
end

function kv.encode(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys) -- a stable output order
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. tostring(t[k]) end
  return table.concat(parts, " ")
end

handle(stdin{codec = kv}, {sink = stdout{codec = kv}}, function(host)
  host.port = host.port or 22
  host.up = host.status == "ok"
  host.status = nil
  return host
end)
