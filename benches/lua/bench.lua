-- redwire's `redis` module against redis-lua (Debian's lua-redis), in one
-- run, on one local redis-server: sequential GET and SET, and pipelines of
-- 100 SET + 100 GET. The two clients take turns, 5 rounds, the order
-- swapped each round; each keeps its best round. Then redwire alone: 50
-- coroutines of one lev.run, each doing connect → GET → close in a loop,
-- against one coroutine doing the same; the same with redwire.connector
-- (connect → GET → set_keepalive) and nauthilus_redis (a GET on a
-- registered pool). Then a hot key's GET with and without the client-side
-- cache (`cache = {}`), for the `redis` module and a nauthilus pool.
-- Prints one Markdown row per workload. Run by benches/lua/run.
local socket = require("socket")
local lev = require("lev")
local redwire = require("redis")
local connector = require("redwire.connector")
local nauthilus = require("nauthilus_redis")
local port = assert(tonumber(os.getenv("REDIS_PORT")), "REDIS_PORT is not set")

-- redis-lua is also named `redis`: load it from Debian's path.
local redis_lua = dofile("/usr/share/lua/5.1/redis.lua")

local SEQUENTIAL = 20000
local PIPELINES = 2000
local COROUTINES, PER_COROUTINE = 50, 400
local ROUNDS = 5
local VALUE = "0123456789abcdef"

--- Seconds fn() takes.
local function timed(fn)
  local started = socket.gettime()
  fn()
  return socket.gettime() - started
end

local commands = {}
for i = 1, 100 do commands[#commands + 1] = { "SET", "bench:" .. i, VALUE } end
for i = 1, 100 do commands[#commands + 1] = { "GET", "bench:" .. i } end

local workloads = {
  sequential = {
    redwire = function(client)
      for _ = 1, SEQUENTIAL do client:cmd("GET", "bench:key") end
    end,
    peer = function(peer)
      for _ = 1, SEQUENTIAL do peer:get("bench:key") end
    end,
    operations = SEQUENTIAL,
  },
  set = {
    redwire = function(client)
      for _ = 1, SEQUENTIAL do client:cmd("SET", "bench:set", VALUE) end
    end,
    peer = function(peer)
      for _ = 1, SEQUENTIAL do peer:set("bench:set", VALUE) end
    end,
    operations = SEQUENTIAL,
  },
  pipeline = {
    redwire = function(client)
      for _ = 1, PIPELINES do
        local replies = client:pipeline(commands)
        assert(#replies == 200)
      end
    end,
    peer = function(peer)
      for _ = 1, PIPELINES do
        local replies = peer:pipeline(function(p)
          for i = 1, 100 do p:set("bench:" .. i, VALUE) end
          for i = 1, 100 do p:get("bench:" .. i) end
        end)
        assert(#replies == 200)
      end
    end,
    operations = PIPELINES * 200,
  },
}

local peer = redis_lua.connect("127.0.0.1", port)
local best = {}
lev.run(function()
  local client = assert(redwire.connect({ host = "127.0.0.1", port = port }))
  client:cmd("SET", "bench:key", VALUE)
  for name, workload in pairs(workloads) do
    best[name] = { redwire = math.huge, peer = math.huge }
    for round = 1, ROUNDS do
      local order = round % 2 == 1 and { "redwire", "peer" } or { "peer", "redwire" }
      for _, who in ipairs(order) do
        local seconds = timed(function() workload[who](who == "redwire" and client or peer) end)
        best[name][who] = math.min(best[name][who], seconds)
      end
    end
  end
  client:close()
end)

--- Seconds `coroutines` coroutines of one lev.run take, each doing `each`
--- rounds of connect → GET → close.
local function many(coroutines, each)
  return timed(function()
    lev.run(function()
      for _ = 1, coroutines do
        lev.spawn(function()
          for _ = 1, each do
            local client = assert(redwire.connect({ host = "127.0.0.1", port = port }))
            assert(client:cmd("GET", "bench:key") == VALUE)
            client:close()
          end
        end)
      end
    end)
  end)
end

--- Seconds `coroutines` coroutines of one lev.run take, each with a client
--- of its own doing `each` GETs.
local function clients(coroutines, each)
  return timed(function()
    lev.run(function()
      for _ = 1, coroutines do
        lev.spawn(function()
          local client = assert(redwire.connect({ host = "127.0.0.1", port = port }))
          for _ = 1, each do assert(client:cmd("GET", "bench:key") == VALUE) end
          client:close()
        end)
      end
    end)
  end)
end

--- Seconds `coroutines` coroutines of one lev.run take, each doing `each`
--- times `step()`.
local function spread(coroutines, each, step)
  return timed(function()
    lev.run(function()
      for _ = 1, coroutines do
        lev.spawn(function()
          for _ = 1, each do step() end
        end)
      end
    end)
  end)
end

local rc = assert(connector.new({ port = port }))
local function resty_get()
  local red = assert(rc:connect())
  assert(red:get("bench:key") == VALUE)
  assert(rc:set_keepalive(red) == 1)
end
assert(nauthilus.register_redis_pool("bench", "standalone", { address = "127.0.0.1:" .. port }))
local pool = assert(nauthilus.get_redis_connection("bench"))
local function nauthilus_get()
  assert(nauthilus.redis_get(pool, "bench:key") == VALUE)
end

local together, alone, each_own = math.huge, math.huge, math.huge
local resty_together, resty_alone = math.huge, math.huge
local nauthilus_together, nauthilus_alone = math.huge, math.huge
for _ = 1, ROUNDS do
  together = math.min(together, many(COROUTINES, PER_COROUTINE))
  alone = math.min(alone, many(1, COROUTINES * PER_COROUTINE))
  each_own = math.min(each_own, clients(COROUTINES, PER_COROUTINE))
  resty_together = math.min(resty_together, spread(COROUTINES, PER_COROUTINE, resty_get))
  resty_alone = math.min(resty_alone, spread(1, COROUTINES * PER_COROUTINE, resty_get))
  nauthilus_together = math.min(nauthilus_together, spread(COROUTINES, PER_COROUTINE, nauthilus_get))
  nauthilus_alone = math.min(nauthilus_alone, spread(1, COROUTINES * PER_COROUTINE, nauthilus_get))
end

--- Seconds `n` GETs of the hot key take through `get`.
local function gets(n, get)
  return timed(function()
    for _ = 1, n do assert(get() == VALUE) end
  end)
end
local CACHED = 200000
local cached, uncached = math.huge, math.huge
local nauthilus_cached, nauthilus_uncached = math.huge, math.huge
assert(nauthilus.register_redis_pool("cached", "standalone", { address = "127.0.0.1:" .. port, cache = {} }))
local cached_pool = assert(nauthilus.get_redis_connection("cached"))
lev.run(function()
  local with = assert(redwire.connect({ host = "127.0.0.1", port = port, cache = {} }))
  local without = assert(redwire.connect({ host = "127.0.0.1", port = port }))
  for _ = 1, ROUNDS do
    cached = math.min(cached, gets(CACHED, function() return with:cmd("GET", "bench:key") end))
    uncached = math.min(uncached, gets(CACHED / 10, function() return without:cmd("GET", "bench:key") end))
    nauthilus_cached = math.min(nauthilus_cached, gets(CACHED, function()
      return nauthilus.redis_get(cached_pool, "bench:key")
    end))
    nauthilus_uncached = math.min(nauthilus_uncached, gets(CACHED / 10, function()
      return nauthilus.redis_get(pool, "bench:key")
    end))
  end
  assert(with:cache_stats().hits >= CACHED * ROUNDS - 1)
  with:close()
  without:close()
end)

local lua = jit and jit.version or _VERSION
local function row(title, name)
  local operations = workloads[name].operations
  local mine, theirs = operations / best[name].redwire, operations / best[name].peer
  print(string.format("| %s | %s | %.0f | %.0f | %.2f× |", lua, title, mine, theirs, mine / theirs))
end
row("sequential GET (ops/s)", "sequential")
row("sequential SET (ops/s)", "set")
row("pipeline 100 SET + 100 GET (commands/s)", "pipeline")
local operations = COROUTINES * PER_COROUTINE
print(string.format("| %s | %d coroutines × connect, GET, close (ops/s) | %.0f | one coroutine: %.0f | %.2f× one coroutine |",
  lua, COROUTINES, operations / together, operations / alone, alone / together))
local sequential = SEQUENTIAL / best.sequential.redwire
print(string.format("| %s | %d coroutines × GET, a client each (ops/s) | %.0f | one coroutine's sequential GET: %.0f | %.2f× |",
  lua, COROUTINES, operations / each_own, sequential, operations / each_own / sequential))
print(string.format("| %s | redwire.connector: %d coroutines × connect, GET, set_keepalive (ops/s) | %.0f | one coroutine: %.0f | %.2f× one coroutine |",
  lua, COROUTINES, operations / resty_together, operations / resty_alone, resty_alone / resty_together))
print(string.format("| %s | nauthilus_redis: %d coroutines × redis_get (ops/s) | %.0f | one coroutine: %.0f | %.2f× one coroutine |",
  lua, COROUTINES, operations / nauthilus_together, operations / nauthilus_alone, nauthilus_alone / nauthilus_together))
print(string.format("| %s | hot key GET, cached (ops/s) | %.0f | uncached: %.0f | %.2f× |",
  lua, CACHED / cached, CACHED / 10 / uncached, (CACHED / cached) / (CACHED / 10 / uncached)))
print(string.format("| %s | nauthilus_redis: hot key redis_get, cached (ops/s) | %.0f | uncached: %.0f | %.2f× |",
  lua, CACHED / nauthilus_cached, CACHED / 10 / nauthilus_uncached,
  (CACHED / nauthilus_cached) / (CACHED / 10 / nauthilus_uncached)))
