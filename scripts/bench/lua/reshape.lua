-- {user = user, kb = math.floor(bytes / 1024)}, with string patterns.
local write, match, tonumber, floor = io.write, string.match, tonumber, math.floor
for line in io.lines() do
  local user = match(line, '"user":"([^"]*)"')
  local bytes = match(line, '"bytes":(%d+)')
  if bytes then
    write('{"user":"', user, '","kb":', string.format("%d", floor(tonumber(bytes) / 1024)), "}\n")
  end
end
