-- A window operator (window.tumbling{...} and friends): w is the Go
-- windower; results go downstream as {key=, start=, ["end"]=, value=}.
return function(w, timef, keyf)
  local op = {meta_fns = {timef, keyf}, reads_meta = timef == nil}
  function op.push(_, v, m, nxt)
    local t = nil
    if timef then t = timef(v, m) elseif m then t = m.time end
    local k = nil
    if keyf then k = keyf(v, m) end
    local out = w:add(k, t, v, m)
    for i = 1, #out do nxt(out[i], m) end
  end
  function op.flush(_, nxt)
    local out = w:finish()
    for i = 1, #out do nxt(out[i], nil) end
  end
  function op.tick(_, nxt)
    local out = w:idle()
    for i = 1, #out do nxt(out[i], nil) end
  end
  op.every = w:every()
  return op
end
