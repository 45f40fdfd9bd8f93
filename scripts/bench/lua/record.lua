-- _.status >= 500 and _.user ~= "u1", with string patterns.
local write, match, tonumber = io.write, string.match, tonumber
for line in io.lines() do
  local s = match(line, '"status":(%d+)')
  if s and tonumber(s) >= 500 and match(line, '"user":"([^"]*)"') ~= "u1" then write(line, "\n") end
end
