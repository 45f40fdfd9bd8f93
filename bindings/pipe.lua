-- Pipe operators. Each maker returns an operator table:
--   op:push(v, m, nxt)  called per record; calls nxt(v, m) for each output
--   op:flush(nxt)       optional; end of input (and every op.every seconds)
-- Operators keep state per handler and per Lua state.
--   op.meta_fns         the functions of the script it calls with (v, m): a
--                       handler builds meta tables only when one of them,
--                       or the handler itself, takes a second parameter
--   op.reads_meta       true when the operator itself reads fields of m
local array, sleep, now = ...
local M = {}

function M.map(f)
  return {meta_fns = {f}, push = function(_, v, m, nxt)
    local r = f(v, m)
    if r ~= nil then nxt(r, m) end
  end}
end

function M.filter(f)
  return {meta_fns = {f}, push = function(_, v, m, nxt)
    if f(v, m) then nxt(v, m) end
  end}
end

function M.pairwise()
  local prev, has = nil, false
  return {meta_fns = {}, push = function(_, v, m, nxt)
    if has then nxt(array({prev, v}), m) end
    prev, has = v, true
  end}
end

local function adder(where)
  return function(a, b)
    if type(a) ~= "number" or type(b) ~= "number" then
      error(string.format("%s pipe.accumulate: the default fn adds numbers, got %s and %s; give a function",
        where, type(a), type(b)), 0)
    end
    return a + b
  end
end

function M.accumulate(f, init, hasInit, where)
  f = f or adder(where)
  local acc, has = init, hasInit
  return {meta_fns = {}, push = function(_, v, m, nxt)
    if has then acc = f(acc, v) else acc, has = v, true end
    nxt(acc, m)
  end}
end

function M.batch(size, every)
  local buf, n, lastm = {}, 0, nil
  local op = {every = every, meta_fns = {}}
  function op.push(_, v, m, nxt)
    n = n + 1
    buf[n] = v
    lastm = m
    if size and n >= size then
      local out = array(buf)
      buf, n = {}, 0
      nxt(out, m)
    end
  end
  function op.flush(_, nxt)
    if n > 0 then
      local out = array(buf)
      buf, n = {}, 0
      nxt(out, lastm)
    end
  end
  return op
end

function M.dedupe(keyf, ttl)
  local seen, count, lastPrune = {}, 0, now()
  return {meta_fns = {keyf}, push = function(_, v, m, nxt)
    local k = v
    if keyf then k = keyf(v, m) end
    if k == nil then nxt(v, m) return end
    local t = now()
    if ttl and t - lastPrune > ttl then
      for key, at in pairs(seen) do
        if t - at >= ttl then seen[key] = nil end
      end
      lastPrune = t
    end
    local at = seen[k]
    if at ~= nil and (not ttl or t - at < ttl) then return end
    seen[k] = t
    nxt(v, m)
  end}
end

function M.throttle(rate)
  local interval, nextAt = 1 / rate, 0
  return {meta_fns = {}, push = function(_, v, m, nxt)
    local t = now()
    if t < nextAt then
      sleep(nextAt - t)
      t = nextAt
    end
    nextAt = t + interval
    nxt(v, m)
  end}
end

return M
