-- A window operator (window.tumbling{...} and friends): w is the Go
-- windower; results go downstream as {key=, start=, ["end"]=, value=}.
-- The windower's calls return a list of results, or nothing for none.
-- lends is true when the windows neither keep the records' values nor send
-- late records anywhere: a record is then seen by timef and keyf only
-- (value_fns, which lets the runtime reuse one table for every record).
-- direct is true when timef and keyf only return a field of the record:
-- add then reads those fields itself.
return function(w, timef, keyf, lends, direct)
  local add, finish, idle = w.add, w.finish, w.idle -- looked up once, called per record
  local op = {meta_fns = {timef, keyf}, reads_meta = timef == nil}
  if lends then
    op.record_fields = direct -- add reads the fields from Go
    local fns = {}
    if timef then fns[#fns + 1] = timef end
    if keyf then fns[#fns + 1] = keyf end
    op.value_fns = fns
  end
  if direct then -- fields read by add: no Lua call per record
    function op.push(_, v, m, nxt)
      local out = add(w, nil, nil, v, m)
      if out then
        for i = 1, #out do nxt(out[i], m) end
      end
    end
  elseif timef and keyf then -- the common case, with the fewest instructions
    function op.push(_, v, m, nxt)
      local t = timef(v, m) -- before keyf, as below
      local out = add(w, keyf(v, m), t, v, m)
      if out then
        for i = 1, #out do nxt(out[i], m) end
      end
    end
  else
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
