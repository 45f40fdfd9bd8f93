-- Tests of custom_codec.lua: the Lua codec decodes stdin and encodes stdout.
test("hosts get a port and an up flag", {
  stdin = {"host=alpha port=2222 status=ok", "host=beta status=down"},
  expect = {
    stdout = {"host=alpha port=2222 up=true", "host=beta port=22 up=false"},
  },
})
