local ops, fn, out, yield, DONE, take, RECORD, FLUSH, FLUSH_OP = ...
local n = #ops
local chains = {}
chains[n + 1] = function(v, m)
  local r, k = fn(v, m)
  if r ~= nil then out(m, r, k) end
end
for i = n, 1, -1 do
  local op, nxt = ops[i], chains[i + 1]
  local push = op.push
  chains[i] = function(v, m) push(op, v, m, nxt) end
end
local first = chains[1]
-- Records go straight to the first operator's push, one Lua call less.
local op1 = ops[1]
local push1, nxt1 = op1 and op1.push, chains[2]
local function step(kind, v, m)
  if kind == RECORD then
    first(v, m)
  elseif kind == FLUSH then
    for i = 1, n do
      local op = ops[i]
      if op.flush then op:flush(chains[i + 1]) end
    end
  elseif kind == FLUSH_OP then -- v is the operator's index
    local op = ops[v]
    local tick = op.tick or op.flush
    if tick then tick(op, chains[v + 1]) end
  end
end
local function loop(kind, v, m)
  while true do
    if kind == RECORD then
      if n == 0 then -- no operators: the handler itself, one call less
        local r, k = fn(v, m)
        if r ~= nil then out(m, r, k) end
      else
        push1(op1, v, m, nxt1)
      end
    else
      step(kind, v, m)
    end
    kind, v, m = take()
    if not kind then kind, v, m = yield(DONE) end
  end
end
return step, loop
