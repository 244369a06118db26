rockspec_format = "3.0"
package = "redwire"
version = "dev-1"
source = {
   url = "git+https://example.invalid/redwire.git",
}
description = {
   summary = "Redis and Valkey for Lua on the redwire Rust core",
   detailed = [[
      The redis and lev modules (the redis.connect / lev.run contract),
      redwire.connector and redwire.sentinel (lua-resty-redis-connector's
      API) and nauthilus_redis (nauthilus' Redis API), built
      by cargo into one shared library, redwire_native, with a one-line Lua
      module for each. Lua 5.1 to 5.4 and LuaJIT 2.1; the Lua luarocks
      targets picks the build.
   ]],
   license = "MIT OR Apache-2.0",
}
dependencies = {
   "lua >= 5.1, < 5.5",
}
build = {
   type = "command",
   build_command = "sh build.sh '$(LUA)'",
   install = {
      lib = {
         redwire_native = "build/redwire_native.so",
      },
      lua = {
         redis = "lua/redis.lua",
         lev = "lua/lev.lua",
         nauthilus_redis = "lua/nauthilus_redis.lua",
         ["redwire.connector"] = "lua/redwire/connector.lua",
         ["redwire.sentinel"] = "lua/redwire/sentinel.lua",
      },
   },
}
