-- nauthilus_redis: each function runs inside the caller's lev.run, or in a
-- lev.run of its own when called outside one (as nauthilus scripts do).
local native = require("redwire_native")
local lev = require("lev")
local module = {}
for name, fn in pairs(native.nauthilus_redis) do
  module[name] = function(...)
    if lev.running() then
      return fn(...)
    end
    return lev.run(fn, ...)
  end
end
return module
