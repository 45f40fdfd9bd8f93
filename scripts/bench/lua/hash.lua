-- The CPU-bound expression of the -w rows, with a string pattern:
-- a polynomial hash of path, keep the lines where it is even.
local write, match, byte = io.write, string.match, string.byte
for line in io.lines() do
  local path = match(line, '"path":"([^"]*)"')
  local h = 0
  for i = 1, #path do h = (h * 31 + byte(path, i)) % 65521 end
  if h % 2 == 0 then write(line, "\n") end
end
