-- The client-side cache: `cache = { … }` on redis.connect configs and on
-- nauthilus pools; one per Lua state and server, shared by coroutines.
local lev = require("lev")
local redis = require("redis")
local nr = require("nauthilus_redis")

local port = assert(tonumber(os.getenv("REDIS_PORT")), "REDIS_PORT is not set")
local unpack = table.unpack or unpack

local function cached_config(cache)
  return { host = "127.0.0.1", port = port, db = 6, cache = cache or {} }
end

describe("a cached redis client", function()
  it("keeps reads until another connection writes, and shows RESP2 shapes", function()
    lev.run(function()
      local writer = assert(redis.connect({ host = "127.0.0.1", port = port, db = 6 }))
      local client = assert(redis.connect(cached_config()))
      assert(writer:cmd("FLUSHDB"))
      assert(writer:cmd("SET", "a", "1"))
      assert(writer:cmd("HSET", "h", "f", "x"))
      assert(writer:cmd("ZADD", "z", "1.5", "m"))
      client:cmd("PING")
      local before = assert(client:cache_stats())
      for _ = 1, 2 do
        assert.are.equal("1", client:cmd("GET", "a"))
        -- As an uncached client sees them: fields and values in turn, a
        -- score as its text.
        assert.are.same({ "f", "x" }, client:cmd("HGETALL", "h"))
        assert.are.equal("1.5", client:cmd("ZSCORE", "z", "m"))
      end
      local missing, why = client:cmd("GET", "nothing")
      assert.is_nil(missing)
      assert.are.equal("not found", why)
      assert.is_nil(client:cmd("GET", "nothing"))
      local stats = assert(client:cache_stats())
      assert.are.equal(before.hits + 4, stats.hits)
      assert.are.equal(4, stats.entries)
      assert(writer:cmd("SET", "a", "2"))
      client:cmd("PING") -- the invalidation comes before this reply
      assert.are.equal("2", client:cmd("GET", "a"))
      -- A write of its own is seen at once.
      assert(client:cmd("SET", "a", "3"))
      assert.are.equal("3", client:cmd("GET", "a"))
      assert.is_true(client:cache_stats().invalidations >= 2)
      local none, no_cache = writer:cache_stats()
      assert.is_nil(none)
      assert.are.equal("no cache", no_cache)
      writer:close()
      client:close()
    end)
  end)

  it("shows every reply as an uncached client does", function()
    lev.run(function()
      local plain = assert(redis.connect({ host = "127.0.0.1", port = port, db = 6 }))
      local client = assert(redis.connect(cached_config()))
      assert(plain:cmd("FLUSHDB"))
      assert(plain:cmd("ZADD", "z", "1", "a", "2.5", "b"))
      assert(plain:cmd("HSET", "h", "f", "x", "g", "y"))
      assert(plain:cmd("SADD", "s", "m"))
      assert(plain:cmd("XADD", "x", "1-1", "f", "v"))
      assert(plain:cmd("GEOADD", "g", "13.361389", "38.115556", "Palermo"))
      local commands = {
        { "ZRANGE", "z", "0", "-1", "WITHSCORES" },
        { "ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES" },
        { "ZSCORE", "z", "b" },
        { "ZMSCORE", "z", "a", "b", "c" },
        { "HGETALL", "h" },
        { "SMEMBERS", "s" },
        { "XREAD", "COUNT", "1", "STREAMS", "x", "0" },
        { "EVAL", "return false", "0" },
        { "EVAL", "return {1, false, 'x'}", "0" },
        { "EVAL", "return true", "0" },
        { "EVAL", "redis.setresp(3); return redis.call('HGETALL', KEYS[1])", "1", "h" },
        { "GEOPOS", "g", "Palermo", "nowhere" },
        { "GEOSEARCH", "g", "FROMLONLAT", "13", "38", "BYRADIUS", "200", "km", "WITHCOORD", "WITHDIST" },
        { "HRANDFIELD", "h", "-5", "WITHVALUES" },
        { "ZRANDMEMBER", "z", "-3", "WITHSCORES" },
        { "CONFIG", "GET", "maxmemory" },
        { "GET", "missing" },
      }
      for _, command in ipairs(commands) do
        local theirs = { plain:cmd(unpack(command)) }
        for _ = 1, 2 do -- from the server, then kept where it is kept
          local ours = { client:cmd(unpack(command)) }
          if command[1] == "HRANDFIELD" or command[1] == "ZRANDMEMBER" then
            -- Chance: the same shape, a field (member) and its value in turn.
            assert.are.equal(#theirs[1], #ours[1])
            assert.are.equal("string", type(ours[1][2]))
          else
            assert.are.same(theirs, ours, table.concat(command, " "))
          end
        end
      end
      plain:close()
      client:close()
    end)
  end)

  it("reads what its connection received before a hit, from one run to the next", function()
    -- Between runs nothing drives the client's connection: a write made
    -- meanwhile (by another process) is read before the next hit.
    local client
    lev.run(function()
      client = assert(redis.connect(cached_config()))
      assert(client:cmd("SET", "between", "0"))
      assert.are.equal("0", client:cmd("GET", "between"))
      assert.are.equal("0", client:cmd("GET", "between"))
    end)
    for i = 1, 5 do
      assert(os.execute("redis-cli -p " .. port .. " -n 6 SET between " .. i .. " > /dev/null"))
      os.execute("sleep 0.05")
      lev.run(function()
        assert.are.equal(tostring(i), client:cmd("GET", "between"))
        assert.are.equal(tostring(i), client:cmd("GET", "between"))
      end)
    end
    lev.run(function() client:close() end)
  end)

  it("drops what a transaction on its own connection wrote", function()
    lev.run(function()
      local client = assert(redis.connect(cached_config()))
      local other = assert(redis.connect(cached_config()))
      assert(client:cmd("SET", "t", "before"))
      assert(client:cmd("MULTI")) -- its own connection from here on
      assert(client:cmd("SET", "t", "after"))
      assert.are.equal("before", other:cmd("GET", "t"))
      assert.are.equal("before", other:cmd("GET", "t"))
      assert(client:cmd("EXEC"))
      assert.are.equal("after", other:cmd("GET", "t"))
      client:close()
      other:close()
    end)
  end)

  it("is shared by the coroutines of a run", function()
    lev.run(function()
      local first = assert(redis.connect(cached_config()))
      assert(first:cmd("SET", "shared", "v"))
      first:cmd("GET", "shared")
      local hits = first:cache_stats().hits
      local done = 0
      for _ = 1, 10 do
        lev.spawn(function()
          local client = assert(redis.connect(cached_config()))
          assert.are.equal("v", client:cmd("GET", "shared"))
          client:close()
          done = done + 1
        end)
      end
      for _ = 1, 200 do
        if done == 10 then break end
        lev.sleep(0.01)
      end
      assert.are.equal(10, done)
      assert.are.equal(hits + 10, first:cache_stats().hits)
      first:close()
    end)
  end)

  it("names what is wrong in a cache config", function()
    local cases = {
      { "yes", "invalid config: cache must be a table, got string" },
      { { max_entries = 0 }, "invalid config: cache.max_entries must be a positive integer, got 0" },
      { { max_bytes = "x" }, 'invalid config: cache.max_bytes must be a positive integer, got "x"' },
      { { max_bytes = 10 }, "invalid config: cache: " },
      { { ttl = -1 }, "invalid config: cache.ttl must be a number of seconds" },
      { { tracking = "optout" }, 'invalid config: cache.tracking must be "plain", "optin" or "bcast", got "optout"' },
      { { prefixes = { "u:" } }, 'invalid config: cache.prefixes needs cache.tracking "bcast"' },
      { { max_entrie = 5 }, 'invalid config: cache takes max_entries, max_bytes, ttl, tracking and prefixes, got "max_entrie"' },
    }
    lev.run(function()
      for _, case in ipairs(cases) do
        local client, err = redis.connect(cached_config(case[1]))
        assert.is_nil(client)
        assert.are.equal(case[2], err:sub(1, #case[2]))
      end
    end)
  end)

  it("keeps only what its mode is told of", function()
    lev.run(function()
      local writer = assert(redis.connect({ host = "127.0.0.1", port = port, db = 6 }))
      local client = assert(redis.connect(cached_config({ tracking = "bcast", prefixes = { "user:" }, ttl = 30 })))
      assert(writer:cmd("SET", "user:1", "ada"))
      assert(writer:cmd("SET", "session:1", "s"))
      client:cmd("PING")
      for _ = 1, 2 do
        assert.are.equal("ada", client:cmd("GET", "user:1"))
        assert.are.equal("s", client:cmd("GET", "session:1"))
      end
      assert.are.equal(1, client:cache_stats().entries)
      assert(writer:cmd("SET", "user:1", "bob"))
      client:cmd("PING")
      assert.are.equal("bob", client:cmd("GET", "user:1"))
      writer:close()
      client:close()
    end)
  end)
end)

describe("a cached nauthilus pool", function()
  it("keeps reads and tells its counters", function()
    lev.run(function()
      assert(nr.register_redis_pool("cached", "standalone", {
        address = "127.0.0.1:" .. port, db = 7, cache = { max_entries = 100 },
      }))
      local handle = assert(nr.get_redis_connection("cached"))
      assert.are.equal("OK", nr.redis_set(handle, "k", "v"))
      assert(nr.redis_hset(handle, "h", "f", "x"))
      for _ = 1, 2 do
        assert.are.equal("v", nr.redis_get(handle, "k"))
        assert.are.same({ f = "x" }, nr.redis_hgetall(handle, "h"))
      end
      local stats = assert(nr.redis_cache_stats(handle))
      assert.are.equal(2, stats.hits)
      assert.are.equal("OK", nr.redis_set(handle, "k", "w"))
      assert.are.equal("w", nr.redis_get(handle, "k"))
      local none, why = nr.redis_cache_stats("default")
      assert.is_nil(none)
      assert.are.equal("no cache", why)
    end)
  end)
end)
