-- redwire's `redis` module against redis-lua (Debian's lua-redis), in one
-- run, on one local redis-server: sequential GET, and pipelines of 100 SET +
-- 100 GET. Prints one Markdown row per workload. Run by benches/lua/run.
local socket = require("socket")
local lev = require("lev")
local redwire = require("redis")
local port = assert(tonumber(os.getenv("REDIS_PORT")), "REDIS_PORT is not set")

-- redis-lua is also named `redis`: load it from Debian's path.
local redis_lua = dofile("/usr/share/lua/5.1/redis.lua")

local SEQUENTIAL = 20000
local PIPELINES = 2000
local VALUE = "0123456789abcdef"

--- Best of 3 runs of fn(): operations per second.
local function rate(operations, fn)
  local best = math.huge
  for _ = 1, 3 do
    local started = socket.gettime()
    fn()
    best = math.min(best, socket.gettime() - started)
  end
  return operations / best
end

local results = {}

lev.run(function()
  local client = assert(redwire.connect({ host = "127.0.0.1", port = port }))
  client:cmd("SET", "bench:key", VALUE)
  results.sequential_redwire = rate(SEQUENTIAL, function()
    for _ = 1, SEQUENTIAL do client:cmd("GET", "bench:key") end
  end)
  local commands = {}
  for i = 1, 100 do commands[#commands + 1] = { "SET", "bench:" .. i, VALUE } end
  for i = 1, 100 do commands[#commands + 1] = { "GET", "bench:" .. i } end
  results.pipeline_redwire = rate(PIPELINES * 200, function()
    for _ = 1, PIPELINES do
      local replies = client:pipeline(commands)
      assert(#replies == 200)
    end
  end)
  client:close()
end)

local peer = redis_lua.connect("127.0.0.1", port)
results.sequential_peer = rate(SEQUENTIAL, function()
  for _ = 1, SEQUENTIAL do peer:get("bench:key") end
end)
results.pipeline_peer = rate(PIPELINES * 200, function()
  for _ = 1, PIPELINES do
    local replies = peer:pipeline(function(p)
      for i = 1, 100 do p:set("bench:" .. i, VALUE) end
      for i = 1, 100 do p:get("bench:" .. i) end
    end)
    assert(#replies == 200)
  end
end)

local lua = jit and jit.version or _VERSION
local function row(name, mine, theirs)
  print(string.format("| %s | %s | %.0f | %.0f | %.2f× |", lua, name, mine, theirs, mine / theirs))
end
row("sequential GET (ops/s)", results.sequential_redwire, results.sequential_peer)
row("pipeline 100 SET + 100 GET (commands/s)", results.pipeline_redwire, results.pipeline_peer)
