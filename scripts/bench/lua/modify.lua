-- if _.path == "/login" then _.bytes = _.bytes + 1; return _ end, with
-- string patterns.
local write, find, gsub, tonumber = io.write, string.find, string.gsub, tonumber
local function incr(b) return '"bytes":' .. (tonumber(b) + 1) end
for line in io.lines() do
  if find(line, '"path":"/login"', 1, true) then
    local out = gsub(line, '"bytes":(%d+)', incr, 1)
    write(out, "\n")
  end
end
