-- A window operator (window.tumbling{...} and friends): w is the Go
-- windower; results go downstream as {key=, start=, ["end"]=, value=}.
-- The windower's calls return a list of results, or nothing for none.
return function(w, timef, keyf)
  local add, finish, idle = w.add, w.finish, w.idle -- looked up once, called per record
  local op = {meta_fns = {timef, keyf}, reads_meta = timef == nil}
  function op.push(_, v, m, nxt)
    local t = nil
    if timef then t = timef(v, m) elseif m then t = m.time end
    local k = nil
    if keyf then k = keyf(v, m) end
    local out = add(w, k, t, v, m)
    if out then
      for i = 1, #out do nxt(out[i], m) end
    end
  end
  function op.flush(_, nxt)
    local out = finish(w)
    if out then
      for i = 1, #out do nxt(out[i], nil) end
    end
  end
  function op.tick(_, nxt)
    local out = idle(w)
    if out then
      for i = 1, #out do nxt(out[i], nil) end
    end
  end
  op.every = w:every()
  return op
end
