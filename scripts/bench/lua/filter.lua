-- status >= 500, with a string pattern (lua5.4 and luajit).
local write, match, tonumber = io.write, string.match, tonumber
for line in io.lines() do
  local s = match(line, '"status":(%d+)')
  if s and tonumber(s) >= 500 then write(line, "\n") end
end
