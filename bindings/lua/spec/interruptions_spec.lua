-- Off the happy path: requests interrupted (pcall, coroutine.wrap, C
-- callbacks, close from another coroutine), thousands of coroutines and
-- method names, errors as raised, subscribers across read timeouts,
-- numbers sent exactly, timeouts changed, pools that do not multiply.
local lev = require("lev")
local redis = require("redis")
local connector = require("redwire.connector")

local port = assert(tonumber(os.getenv("REDIS_PORT")), "REDIS_PORT is not set")
local address = "127.0.0.1:" .. port .. "/14"
local unpack = table.unpack or unpack
local is_lua51 = _VERSION == "Lua 5.1" and not jit

-- How many clients the server has, asked outside any lev.run.
local function server_clients()
  local list = io.popen("redis-cli -p " .. port .. " CLIENT LIST"):read("*a")
  local count = 0
  for _ in list:gmatch("[^\n]+") do
    count = count + 1
  end
  return count
end

local function now()
  return os.clock()
end

describe("an interrupted request", function()
  it("inside pcall either runs or fails cleanly, and the client goes on", function()
    lev.run(function()
      local c = assert(redis.connect(address))
      c:cmd("SET", "i:k", "v")
      local ok, value = pcall(function() return c:cmd("GET", "i:k") end)
      if is_lua51 then
        -- Lua 5.1 cannot yield across pcall: refused before anything.
        assert.is_false(ok)
        assert.matches("yield", tostring(value))
      else
        assert.is_true(ok)
        assert.are.equal("v", value)
      end
      assert.are.equal("v", c:cmd("GET", "i:k"))
      c:close()
    end)
  end)

  it("in a coroutine of the user's is refused, and the client goes on", function()
    lev.run(function()
      local c = assert(redis.connect(address))
      local generator = coroutine.wrap(function() return c:cmd("PING") end)
      local value, err = generator()
      assert.is_nil(value)
      assert.matches("coroutine.wrap", err, 1, true)
      -- Refused before anything: nothing of it holds the connection.
      local abandoned = coroutine.create(function() c:cmd("GET", "i:k") end)
      coroutine.resume(abandoned)
      assert.are.equal("PONG", c:cmd("PING"))
      c:close()
    end)
  end)

  it("abandoned mid-way (its run ended by an error) leaves no reply to another", function()
    local c, id
    local ok, err = pcall(lev.run, function()
      c = assert(redis.connect(address))
      id = c:cmd("CLIENT", "ID")
      c:cmd("DEL", "i:abandoned")
      lev.spawn(function() c:cmd("BLPOP", "i:abandoned", 0) end)
      lev.sleep(0.1)
      error("the run stops")
    end)
    assert.is_false(ok)
    assert.matches("the run stops", err)
    lev.run(function()
      -- The abandoned BLPOP's connection is closed, not handed on: the
      -- value pushed now is not taken by it.
      local value, why = c:cmd("PING")
      assert.is_nil(value)
      assert.is_truthy(why:find("did not finish", 1, true) or why:find("closed", 1, true), why)
      local fresh = assert(redis.connect(address))
      assert.are.equal(1, fresh:cmd("RPUSH", "i:abandoned", "kept"))
      lev.sleep(0.1)
      assert.are.same({ "kept" }, fresh:cmd("LRANGE", "i:abandoned", 0, -1))
      fresh:close()
    end)
    local list = io.popen("redis-cli -p " .. port .. " CLIENT LIST ID " .. id):read("*a")
    assert.is_nil(list:find("id=", 1, true), list)
  end)

  it("by nauthilus_redis in a coroutine of the user's is refused before anything", function()
    local nauthilus = require("nauthilus_redis")
    lev.run(function()
      local name = "interrupted" .. tostring(os.time())
      assert(nauthilus.register_redis_pool(name, "standalone", { address = "127.0.0.1:" .. port }))
      local handle = assert(nauthilus.get_redis_connection(name))
      assert(nauthilus.redis_set(handle, "i:n", 1))
      local value, err = coroutine.wrap(function() return nauthilus.redis_incr(handle, "i:n") end)()
      assert.is_nil(value)
      assert.matches("coroutine.wrap", err, 1, true)
      assert.are.equal("1", nauthilus.redis_get(handle, "i:n"))
    end)
  end)

  it("from a C callback fails cleanly: the client answers or says why, and closes", function()
    lev.run(function()
      local c = assert(redis.connect(address))
      local ok = pcall(string.gsub, "a", "a", function() return c:cmd("PING") end)
      assert.is_false(ok)
      local value, err = c:cmd("PING")
      if value ~= "PONG" then
        -- Where a yield fails half-way, the request took the connection.
        assert.is_truthy(err:find("busy", 1, true) or err:find("did not finish", 1, true), err)
      end
      assert.is_true(c:close())
      local fresh = assert(redis.connect(address))
      assert.are.equal("PONG", fresh:cmd("PING"))
      fresh:close()
    end)
  end)

  it("is stopped by close from another coroutine: a subscriber, a BLPOP", function()
    lev.run(function()
      local sub = assert(redis.connect(address))
      sub:cmd("SUBSCRIBE", "i:news")
      local blocked = assert(redis.connect(address))
      local outcomes = {}
      lev.spawn(function()
        local started = now()
        local _, err = sub:read()
        outcomes.read = { err = err, took = now() - started }
      end)
      lev.spawn(function()
        local value, err = blocked:cmd("BLPOP", "i:never", 0)
        outcomes.blpop = { value = value, err = err }
      end)
      lev.sleep(0.1)
      assert.is_true(sub:close(true))
      assert.is_true(blocked:close(true))
      lev.sleep(0.05)
      assert.matches("closed", outcomes.read.err)
      assert.is_nil(outcomes.blpop.value)
      assert.matches("closed", outcomes.blpop.err)
      -- Closed: later requests say so at once.
      local value, err = sub:read()
      assert.is_nil(value)
      assert.matches("closed", err)
    end)
  end)
end)

describe("lev.run", function()
  it("runs 10 000 coroutines, each with a request of its own", function()
    local done = 0
    lev.run(function()
      for i = 1, 10000 do
        lev.spawn(function()
          local c = assert(redis.connect(address))
          assert.are.equal("OK", c:cmd("SET", "many:" .. (i % 100), i))
          c:close()
          done = done + 1
        end)
      end
    end)
    assert.are.equal(10000, done)
  end)

  it("runs 3000 coroutines, each with a request of 40 arguments", function()
    local done = 0
    lev.run(function()
      for i = 1, 3000 do
        lev.spawn(function()
          local c = assert(redis.connect(address))
          local fields = { "HSET", "wide:" .. (i % 10) }
          for f = 1, 19 do
            fields[#fields + 1] = "field" .. f
            fields[#fields + 1] = "value" .. i
          end
          assert.are.equal("number", type(c:cmd(unpack(fields))))
          c:close()
          done = done + 1
        end)
      end
    end)
    assert.are.equal(3000, done)
  end)

  it("raises an error value as it was raised", function()
    local ok, err = pcall(lev.run, function() error("boom") end)
    assert.is_false(ok)
    assert.are.equal("string", type(err))
    assert.matches("boom", err)
    local raised = { code = 1 }
    ok, err = pcall(lev.run, function() error(raised) end)
    assert.is_false(ok)
    assert.are.equal(raised, err)
    ok, err = pcall(lev.run, function()
      lev.spawn(function() error(raised) end)
    end)
    assert.is_false(ok)
    assert.are.equal(raised, err)
  end)
end)

describe("redwire.connector connections", function()
  it("take any of 10 000 method names", function()
    lev.run(function()
      local rc = assert(connector.new({ port = port }))
      local red = assert(rc:connect())
      for i = 1, 10000 do
        assert.are.equal("function", type(red["nosuchcommand" .. i]))
      end
      local ok, err = red:nosuchcommand1()
      assert.is_false(ok)
      assert.matches("unknown command", err)
      assert.are.equal("PONG", red:ping())
      rc:set_keepalive(red)
    end)
  end)

  it("keep a subscriber across read timeouts", function()
    lev.run(function()
      local rc = assert(connector.new({ port = port, read_timeout = 100 }))
      local sub = assert(rc:connect())
      assert(sub:subscribe("i:ticks"))
      local timeouts = 0
      for _ = 1, 2 do
        local message, err = sub:read_reply()
        assert.is_nil(message)
        assert.are.equal("timeout", err)
        timeouts = timeouts + 1
      end
      local publisher = assert(rc:connect())
      publisher:publish("i:ticks", "tick")
      rc:set_keepalive(publisher)
      local message = assert(sub:read_reply())
      assert.are.same({ "message", "i:ticks", "tick" }, message)
      assert.are.equal(2, timeouts)
      sub:close()
    end)
  end)

  it("take timeouts of their own until they go back to the pool", function()
    lev.run(function()
      local rc = assert(connector.new({ port = port, read_timeout = 200 }))
      local red = assert(rc:connect())
      red:set_timeout(3000)
      -- Waits past the connector's 200 ms: a null, no timeout.
      assert.are.equal(connector.null, red:blpop("i:never", 1))
      red:set_timeouts(100, 100, 300)
      local value, err = red:blpop("i:never", 1)
      assert.is_nil(value)
      assert.matches("timed out", err)
      red:close()
      -- Too long to reckon: none (not a failure inside redwire).
      red = assert(rc:connect())
      red:set_timeout(math.huge)
      red:set_timeouts(math.huge, 1e300, math.huge)
      assert.are.equal(connector.null, red:blpop("i:never", 0.3))
      red:close()
    end)
  end)
end)

describe("numbers", function()
  it("are sent exactly by pipelines and commands", function()
    lev.run(function()
      local c = assert(redis.connect(address))
      local results = assert(c:pipeline({
        { "SET", "i:big", 123456789012345 },
        { "GET", "i:big" },
        { "SET", "i:sum", 0 },
        { "INCRBY", "i:sum", 1e15 },
        { "SET", "i:float", 0.1 + 0.2 },
        { "GET", "i:float" },
      }))
      assert.are.equal("123456789012345", results[2][1])
      assert.are.equal(1e15, results[4][1])
      assert.are.equal(0.1 + 0.2, tonumber(results[6][1]))
      assert.are.equal(1e15 + 1, c:cmd("INCRBY", "i:sum", 1))
      c:close()
    end)
  end)
end)

describe("pools", function()
  it("do not multiply with timeouts, and close idle connections between runs", function()
    local before = server_clients()
    lev.run(function()
      for i = 1, 100 do
        local c = assert(redis.connect({ host = "127.0.0.1", port = port, db = 14, timeout = 1 + i / 1000 }))
        c:cmd("PING")
        c:close()
      end
    end)
    assert.is_true(server_clients() <= before + 1)
    local id
    lev.run(function()
      local rc = assert(connector.new({ port = port, keepalive_timeout = 200 }))
      local red = assert(rc:connect())
      id = assert(red:client("id"))
      rc:set_keepalive(red)
    end)
    local function open()
      return io.popen("redis-cli -p " .. port .. " CLIENT LIST ID " .. id):read("*a"):find("id=") ~= nil
    end
    assert.is_true(open())
    -- No lev.run meanwhile: the runtime's upkeep closes the idle one.
    local deadline = os.time() + 5
    while open() and os.time() < deadline do
      os.execute("sleep 0.2")
    end
    assert.is_false(open())
  end)
end)

-- The fault proxy the suite started in front of the server, and a command
-- to it (bounded: a proxy gone would leave the fifo without a reader).
local proxy_port = tonumber(os.getenv("REDIS_PROXY_PORT"))
local function proxy(line)
  local commands = assert(os.getenv("REDIS_PROXY_COMMANDS"), "REDIS_PROXY_COMMANDS is not set")
  local sent = os.execute(string.format("timeout 5 sh -c 'echo %s > %s'", line, commands))
  assert(sent == true or sent == 0, "the fault proxy took no command")
end

describe("drill 1: requests cancelled on a slow link", function()
  it("never hands a coroutine another's reply, and leaves no connection behind", function()
    assert(proxy_port, "REDIS_PROXY_PORT is not set")
    local before = server_clients()
    proxy("latency 5 60000")
    local answered, cancelled, wrong = 0, 0, 0
    for round = 1, 20 do
      lev.run(function()
        for i = 1, 50 do
          lev.spawn(function()
            local n = round * 1000 + i
            -- 5 to 20 ms: a round trip takes 10 ms and more.
            local timeout = (5 + (n * 7919) % 16) / 1000
            local client, why = redis.connect({ host = "127.0.0.1", port = proxy_port, timeout = timeout })
            if not client then
              assert.matches("timed out", why)
              cancelled = cancelled + 1
              return
            end
            local reply, err = client:cmd("ECHO", "request " .. n)
            if reply == nil then
              -- Cancelled by its timeout, nothing else.
              assert.matches("timed out", err)
              cancelled = cancelled + 1
            elseif reply == "request " .. n then
              answered = answered + 1
            else
              wrong = wrong + 1
            end
            client:close()
          end)
        end
      end)
    end
    -- Coroutines abandoned mid-request: their run raises under them.
    local ok = pcall(lev.run, function()
      for i = 1, 50 do
        lev.spawn(function()
          local client = assert(redis.connect({ host = "127.0.0.1", port = proxy_port }))
          client:cmd("ECHO", "abandoned " .. i)
        end)
      end
      lev.sleep(0.015)
      error("abandon them")
    end)
    assert.is_false(ok)
    proxy("clear")
    lev.run(function()
      local client = assert(redis.connect({ host = "127.0.0.1", port = proxy_port }))
      for i = 1, 100 do
        assert.are.equal("after " .. i, client:cmd("ECHO", "after " .. i))
      end
      client:close()
    end)
    assert.are.equal(0, wrong)
    assert.is_true(cancelled > 100 and answered > 100, cancelled .. " cancelled, " .. answered .. " answered")
    -- The shared connection, and the pooled ones the connects checked.
    assert.is_true(server_clients() <= before + 4, "clients: " .. server_clients() - before .. " more")
    print(string.format(
      "drill 1 (%s): 1000 requests through 5 ms each way, timeouts of 5-20 ms: %d cancelled, "
        .. "%d answered, 0 wrong; 50 coroutines abandoned mid-request; 100 requests after, all right",
      jit and jit.version or _VERSION, cancelled, answered))
  end)
end)

describe("drill 3: writes that timed out", function()
  it("are reported, never sent again: the counter is the number of writes made", function()
    local succeeded, timed_out = 0, 0
    lev.run(function()
      local admin = assert(redis.connect(address))
      admin:cmd("DEL", "drill3")
      for _ = 1, 5 do
        lev.spawn(function()
          -- Its own client: the sleep is the server's, not this one's.
          local sleeper = assert(redis.connect({ host = "127.0.0.1", port = port, timeout = 5 }))
          assert.are.equal("OK", sleeper:cmd("DEBUG", "SLEEP", "0.5"))
          sleeper:close()
        end)
        lev.sleep(0.05)
        local done = 0
        for _ = 1, 20 do
          lev.spawn(function()
            local client = assert(redis.connect({ host = "127.0.0.1", port = port, db = 14, timeout = 0.2 }))
            local reply, err = client:cmd("INCR", "drill3")
            if reply then
              succeeded = succeeded + 1
            else
              assert.matches("timed out", err)
              timed_out = timed_out + 1
            end
            client:close()
            done = done + 1
          end)
        end
        for _ = 1, 300 do
          if done == 20 then break end
          lev.sleep(0.01)
        end
        assert.are.equal(20, done)
        lev.sleep(0.5)
        assert(admin:cmd("INCR", "drill3"))
        succeeded = succeeded + 1
      end
      local counter = tonumber(admin:cmd("GET", "drill3"))
      assert.is_true(timed_out >= 50, timed_out .. " timed out")
      assert.are.equal(succeeded + timed_out, counter)
      admin:close()
    end)
    print(string.format(
      "drill 3 (%s): %d writes timed out during DEBUG SLEEP past their 200 ms timeout, %d succeeded; "
        .. "the counter is every write once, none sent again",
      jit and jit.version or _VERSION, timed_out, succeeded))
  end)
end)

describe("drill 5: replies cut at every byte", function()
  it("fail the pipeline with an error, never hang, and the connection is not used again", function()
    assert(proxy_port, "REDIS_PROXY_PORT is not set")
    local text = "a longer bulk reply, to cut in the middle of"
    local commands = { { "SET", "cut:k", "hello" }, { "GET", "cut:k" }, { "ECHO", text }, { "CLIENT", "ID" } }
    local cuts = 0
    lev.run(function()
      local function run()
        local client = assert(redis.connect({ host = "127.0.0.1", port = proxy_port, timeout = 5 }))
        local results, err = client:pipeline(commands)
        client:close()
        return results, err
      end
      local last_id = assert(run())[4][1]
      -- "+OK\r\n$5\r\nhello\r\n$44\r\n...\r\n", then the connection's id.
      local length = 5 + 11 + 5 + #text + 2
      for offset = 0, length - 1 do
        proxy("cut " .. offset)
        local results, err = run()
        assert.is_nil(results, "offset " .. offset)
        assert.is_string(err)
        cuts = cuts + 1
        results = assert(run())
        assert.are.same({ "hello" }, results[2])
        assert.are.same({ text }, results[3])
        -- On a new connection: the cut one went nowhere, not back to the pool.
        assert.are_not.equal(last_id, results[4][1], "offset " .. offset)
        last_id = results[4][1]
      end
    end)
    print(string.format(
      "drill 5 (%s): a 4-command pipeline's replies cut at each of %d byte offsets: %d errors, no hang, "
        .. "the next pipeline answered on a new connection each time",
      jit and jit.version or _VERSION, cuts, cuts))
  end)
end)
