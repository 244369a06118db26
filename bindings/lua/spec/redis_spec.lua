-- redis: the redis.connect / cmd / pipeline / read / close contract.
local lev = require("lev")
local redis = require("redis")

local port = assert(tonumber(os.getenv("REDIS_PORT")), "REDIS_PORT is not set")
local acl_port = assert(tonumber(os.getenv("REDIS_ACL_PORT")), "REDIS_ACL_PORT is not set")
local address = { host = "127.0.0.1", port = port }
local unpack = table.unpack or unpack

-- Runs `fn(client)` inside lev.run with a fresh client, closing it after.
local function with_client(fn, config)
  return lev.run(function()
    local client = assert(redis.connect(config or address))
    local result = { fn(client) }
    client:close()
    return unpack(result)
  end)
end

describe("redis.connect", function()
  it("defaults to 127.0.0.1:6379", function()
    lev.run(function()
      -- The test command has a server listen there.
      local client = assert(redis.connect())
      assert.are.equal("127.0.0.1", client.cfg.host)
      assert.are.equal(6379, client.cfg.port)
      assert.matches("tcp_port:6379", client:cmd("INFO", "server"))
      client:close()
    end)
  end)

  it("reads host:port/db and selects the db", function()
    with_client(function(client)
      assert.are.equal(3, client.cfg.db)
      assert.are.equal(port, client.cfg.port)
      local info = client:cmd("CLIENT", "INFO")
      assert.matches(" db=3 ", info)
    end, "127.0.0.1:" .. port .. "/3")
  end)

  it("normalizes a table and ignores extra fields", function()
    with_client(function(client)
      assert.are.same(
        { host = "127.0.0.1", port = port, db = 2, timeout = 2, ssl = false },
        client.cfg
      )
    end, { host = "127.0.0.1", port = port, db = 2, timeout = 2, module_note = "kept by the caller" })
  end)

  it("names the field and the rule of an invalid config", function()
    local cases = {
      { { host = "" }, 'invalid config: host must be a non-empty string, got ""' },
      { { host = 42 }, "invalid config: host must be a non-empty string, got 42" },
      { {}, "invalid config: host must be a non-empty string, got nil" },
      { { host = "h", port = 0 }, "invalid config: port must be an integer in range 1..65535, got 0" },
      { { host = "h", port = 70000 }, "invalid config: port must be an integer in range 1..65535, got 70000" },
      { { host = "h", port = 1.5 }, "invalid config: port must be an integer in range 1..65535, got 1.5" },
      { { host = "h", port = "x" }, 'invalid config: port must be an integer in range 1..65535, got "x"' },
      { { host = "h", db = -1 }, "invalid config: db must be a non-negative integer, got -1" },
      { { host = "h", db = "x" }, 'invalid config: db must be a non-negative integer, got "x"' },
      { { host = "h", timeout = 0 }, "invalid config: timeout must be a positive number of seconds, at most a year, got 0" },
      { { host = "h", timeout = "x" }, 'invalid config: timeout must be a positive number of seconds, at most a year, got "x"' },
      { { host = "h", timeout = 1e20 }, "invalid config: timeout must be a positive number of seconds, at most a year, got 100000000000000000000" },
      { { host = "h", auth = "x" }, "invalid config: auth must be a table with non-empty string fields user and pass, got string" },
      { { host = "h", auth = { user = "u" } }, "invalid config: auth must be a table with non-empty string fields user and pass, got a table without them" },
      { { host = "h", auth = { user = "", pass = "p" } }, "invalid config: auth must be a table with non-empty string fields user and pass, got a table without them" },
      { "h:0", 'invalid config: port must be an integer in range 1..65535, got "0"' },
      { "h:1/x", 'invalid config: db must be a non-negative integer, got "x"' },
      { "nohost", 'invalid config: config must be "host:port" or "host:port/db", got "nohost"' },
      { 42, "invalid config: config must be nil, a \"host:port[/db]\" string or a table, got number" },
    }
    lev.run(function()
      for _, case in ipairs(cases) do
        local client, err = redis.connect(case[1])
        assert.is_nil(client)
        assert.are.equal(case[2], err)
      end
    end)
  end)

  it("authenticates as an ACL user, and names a refusal without the password", function()
    lev.run(function()
      local client = assert(redis.connect({ host = "127.0.0.1", port = acl_port, auth = { user = "app", pass = "app-secret" } }))
      assert.are.equal("app", client:cmd("ACL", "WHOAMI"))
      assert.are.same({ host = "127.0.0.1", port = acl_port, db = 0, ssl = false, auth = { user = "app" } }, client.cfg)
      client:close()
      local refused, err = redis.connect({ host = "127.0.0.1", port = acl_port, auth = { user = "app", pass = "wrong-secret" } })
      assert.is_nil(refused)
      assert.matches("WRONGPASS", err)
      assert.is_nil(err:find("wrong-secret", 1, true))
    end)
  end)
end)

describe("TLS", function()
  it("connects with ssl, auth and db as the contract's example does", function()
    local tls_port = assert(tonumber(os.getenv("REDIS_TLS_PORT")), "REDIS_TLS_PORT is not set")
    lev.run(function()
      local secure = assert(redis.connect({
        host = "127.0.0.1",
        port = tls_port,
        ssl = true,
        auth = { user = "default", pass = "secret" },
        db = 3,
        timeout = 5,
      }))
      assert.are.equal("OK", secure:cmd("SET", "x", "y"))
      assert.matches(" db=3 ", secure:cmd("CLIENT", "INFO"))
      assert.is_true(secure:close(true))
      -- Plaintext to the TLS port: the first command fails, and says so.
      local plain = assert(redis.connect({ host = "127.0.0.1", port = tls_port, timeout = 1 }))
      local pong, err = plain:cmd("PING")
      assert.is_nil(pong)
      assert.is_string(err)
      plain:close(true)
    end)
  end)
end)

describe("client:cmd", function()
  it("maps every reply type", function()
    with_client(function(client)
      assert.are.equal("OK", client:cmd("SET", "cmd:k", "value"))
      assert.are.equal("value", client:cmd("GET", "cmd:k"))
      local missing, why = client:cmd("GET", "cmd:missing")
      assert.is_nil(missing)
      assert.are.equal("not found", why)
      client:cmd("SET", "cmd:n", 41)
      assert.are.equal(42, client:cmd("INCR", "cmd:n"))
      local failed, message = client:cmd("INCR", "cmd:k")
      assert.is_nil(failed)
      assert.matches("^ERR value is not an integer", message)
      -- Arguments become strings: numbers and booleans as tostring shows them.
      client:cmd("SET", "cmd:f", 1.5)
      assert.are.equal("1.5", client:cmd("GET", "cmd:f"))
      client:cmd("SET", "cmd:b", true)
      assert.are.equal("true", client:cmd("GET", "cmd:b"))
      -- Nested arrays, and a NULL inside one is redis.null.
      local nested = client:cmd("EVAL", "return {1, {2, 'x'}, false, 'end'}", 0)
      assert.are.same({ 1, { 2, "x" }, redis.null, "end" }, nested)
      assert.are.same({ "value", redis.null }, client:cmd("MGET", "cmd:k", "cmd:missing"))
      local none, empty = client:cmd("LRANGE", "cmd:nolist", 0, -1)
      assert.are.same({}, none)
      assert.is_nil(empty)
    end)
  end)

  it("refuses what it cannot send", function()
    with_client(function(client)
      local value, err = client:cmd("SET", "k", {})
      assert.is_nil(value)
      assert.are.equal("argument 3 is a table: commands take strings, numbers and booleans", err)
      value, err = client:cmd()
      assert.is_nil(value)
      assert.are.equal("cmd needs a command name", err)
    end)
  end)
end)

describe("client:pipeline", function()
  it("returns each reply in order, errors in place", function()
    with_client(function(client)
      client:cmd("DEL", "p:k1", "p:k2")
      local results = client:pipeline({
        { "SET", "p:k1", "v1" },
        { "SET", "p:k2", "v2" },
        { "GET", "p:k1" },
        { "GET", "p:missing" },
        { "INCR", "p:k1" },
        { "MGET", "p:k1", "p:k2" },
      })
      assert.are.equal(6, #results)
      assert.are.same({ "OK" }, results[1])
      assert.are.same({ "OK" }, results[2])
      assert.are.same({ "v1" }, results[3])
      assert.are.same({}, results[4])
      assert.is_nil(results[5][1])
      assert.matches("^ERR value is not an integer", results[5][2])
      assert.are.same({ { "v1", "v2" } }, results[6])
      assert.are.same({}, client:pipeline({}))
      assert.are.same({}, client:pipeline(nil))
    end)
  end)

  it("sends numbers and booleans as text, and names a command it cannot send", function()
    with_client(function(client)
      local results = client:pipeline({
        { "SET", "p:n", 7 }, { "INCRBYFLOAT", "p:n", 0.5 }, { "SET", "p:b", false }, { "GET", "p:b" },
      })
      assert.are.same({ { "OK" }, { "7.5" }, { "OK" }, { "false" } }, results)
      local cases = {
        { { { "PING" }, "PING" }, "command 2 is a string, not a table of arguments" },
        { { { "PING" }, {} }, "command 2 is empty" },
        { { { "SET", "k", {} } }, "command 1: argument 3 is a table: commands take strings, numbers and booleans" },
      }
      client:cmd("DEL", "p:big")
      local big = { "SADD", "p:big" }
      for i = 1, 20000 do big[#big + 1] = i end
      assert.are.same({ { 20000 } }, client:pipeline({ big }))
      local refused, why = client:pipeline("PING")
      assert.is_nil(refused)
      assert.are.equal("commands must be a table of commands, got string", why)
      for _, case in ipairs(cases) do
        local none, err = client:pipeline(case[1])
        assert.is_nil(none)
        assert.are.equal(case[2], err)
      end
      -- Nothing of a refused pipeline was sent.
      assert.are.equal("false", client:cmd("GET", "p:b"))
    end)
  end)

  it("fails whole when the connection fails mid-read", function()
    with_client(function(client)
      local id = client:cmd("CLIENT", "ID")
      local results, err = client:pipeline({ { "CLIENT", "KILL", "ID", id, "SKIPME", "no" }, { "PING" } })
      assert.is_nil(results)
      assert.is_string(err)
    end)
  end)
end)

describe("client:read", function()
  it("reads pub/sub messages with their type", function()
    lev.run(function()
      local subscriber = assert(redis.connect(address))
      local confirmation = subscriber:cmd("SUBSCRIBE", "news")
      assert.are.same({ "subscribe", "news", 1 }, confirmation)
      local publisher = assert(redis.connect(address))
      assert.are.equal(1, publisher:cmd("PUBLISH", "news", "hello"))
      local message = assert(subscriber:read())
      assert.are.equal("array", message.type)
      assert.are.same({ "message", "news", "hello" }, message.value)
      publisher:close()
      subscriber:close()
    end)
  end)
end)

describe("the pool", function()
  local function client_id(config)
    local client = assert(redis.connect(config or address))
    local id = client:cmd("CLIENT", "ID")
    return client, id
  end

  it("does not hand out a connection that changed its database", function()
    lev.run(function()
      local client = assert(redis.connect(address))
      local id = client:cmd("CLIENT", "ID")
      assert.are.equal("OK", client:cmd("SELECT", 5))
      client:close()
      local next_client = assert(redis.connect(address))
      assert.are_not.equal(id, next_client:cmd("CLIENT", "ID"))
      assert.matches(" db=0 ", next_client:cmd("CLIENT", "INFO"))
      next_client:close()
    end)
  end)

  it("keeps each timeout's connections apart", function()
    lev.run(function()
      local plain = assert(redis.connect(address))
      plain:close()
      local timed = assert(redis.connect({ host = "127.0.0.1", port = port, timeout = 0.3 }))
      local started = os.time()
      local none, err = timed:cmd("BLPOP", "pool:never", 0)
      assert.is_nil(none)
      assert.matches("timed out", err)
      assert.is_true(os.time() - started < 5)
      timed:close(true)
    end)
  end)

  it("reuses a closed connection, and not a force-closed one", function()
    lev.run(function()
      local client, first = client_id()
      assert.is_true(client:close())
      local again, second = client_id()
      assert.are.equal(first, second)
      assert.is_true(again:close(true))
      local fresh, third = client_id()
      assert.are_not.equal(second, third)
      fresh:close()
      -- Closing twice is harmless; a closed client says so.
      assert.is_true(fresh:close())
      local value, err = fresh:cmd("PING")
      assert.is_nil(value)
      assert.are.equal("the connection is closed", err)
    end)
  end)

  it("keeps pools apart by db", function()
    lev.run(function()
      local zero, id0 = client_id()
      zero:close()
      local five, id5 = client_id({ host = "127.0.0.1", port = port, db = 5 })
      assert.are_not.equal(id0, id5)
      five:close()
    end)
  end)

  it("replaces a connection the server closed while it was idle", function()
    lev.run(function()
      local client, id = client_id()
      client:close()
      local admin = assert(redis.connect({ host = "127.0.0.1", port = port, db = 9 }))
      assert.are.equal(1, admin:cmd("CLIENT", "KILL", "ID", id))
      admin:close(true)
      lev.sleep(0.05)
      local again, new_id = client_id()
      assert.are_not.equal(id, new_id)
      assert.are.equal("PONG", again:cmd("PING"))
      again:close()
    end)
  end)

  it("force-closes what it cannot keep (REDIS_CLIENT_POOL_SIZE)", function()
    local size = tonumber(os.getenv("REDIS_CLIENT_POOL_SIZE"))
    assert.is_number(size)
    lev.run(function()
      local held, ids = {}, {}
      for i = 1, size + 1 do
        held[i], ids[i] = client_id({ host = "127.0.0.1", port = port, db = 7 })
      end
      for i = 1, size + 1 do
        assert.is_true(held[i]:close())
      end
      -- The pool kept `size` of them; the extra one was closed.
      local reused = 0
      for i = 1, size + 1 do
        held[i] = nil
        local client, id = client_id({ host = "127.0.0.1", port = port, db = 7 })
        for _, old in ipairs(ids) do
          if old == id then reused = reused + 1 end
        end
        held[i] = client
      end
      assert.are.equal(size, reused)
      for i = 1, size + 1 do held[i]:close() end
    end)
  end)
end)

describe("the shared connection", function()
  -- Connections of one database, counted by the server.
  local function connections(db)
    return lev.run(function()
      local watcher = assert(redis.connect(address))
      local _, count = assert(watcher:cmd("CLIENT", "LIST")):gsub(" db=" .. db .. " ", "")
      watcher:close()
      return count
    end)
  end

  it("carries the commands of every coroutine that may share one", function()
    local config = { host = "127.0.0.1", port = port, db = 12 }
    local seen = {}
    lev.run(function()
      local setup = assert(redis.connect(config))
      assert(setup:cmd("DEL", "shared:n"))
      setup:close()
      for i = 1, 50 do
        lev.spawn(function()
          for _ = 1, 20 do
            local client = assert(redis.connect(config))
            seen[i] = assert(client:cmd("INCR", "shared:n"))
            assert.is_true(client:close())
          end
        end)
      end
    end)
    assert.are.equal(50, #seen)
    assert.are.equal("1000", with_client(function(c) return c:cmd("GET", "shared:n") end, config))
    -- One shared connection, and the pooled one that checked the address:
    -- not a connection per coroutine.
    assert.is_true(connections(12) <= 2, "connections: " .. connections(12))
  end)

  it("leaves a client on its own connection once it needed one", function()
    lev.run(function()
      local client = assert(redis.connect({ host = "127.0.0.1", port = port, db = 13 }))
      local shared = client:cmd("CLIENT", "ID") -- its own connection's id
      assert.are.equal("OK", client:cmd("MULTI"))
      assert.are.equal("QUEUED", client:cmd("SET", "own:k", "v"))
      assert.are.equal("QUEUED", client:cmd("GET", "own:k"))
      local replies = client:cmd("EXEC")
      assert.are.same({ "OK", "v" }, replies)
      assert.are.equal(shared, client:cmd("CLIENT", "ID"))
      client:close()
    end)
  end)

  it("refuses a second request on one client while a first waits on it", function()
    lev.run(function()
      local client = assert(redis.connect(address))
      local outcome
      lev.spawn(function() outcome = { client:cmd("PING") } end)
      local pong, err = client:cmd("ECHO", "x")
      -- One of the two ran; the other was refused as busy, or both ran
      -- one after the other: never two at once on one client.
      if pong == nil then
        assert.matches("busy", err)
      end
      lev.sleep(0.05)
      assert.is_not_nil(outcome)
      client:close()
    end)
  end)

  it("stops a request on it when the client closes meanwhile", function()
    lev.run(function()
      local pauser = assert(redis.connect(address))
      local client = assert(redis.connect(address))
      -- The server holds every client's commands for 300 ms.
      assert.are.equal("OK", pauser:cmd("CLIENT", "PAUSE", 300))
      local result
      lev.spawn(function() result = { client:cmd("GET", "paused:k") } end)
      lev.sleep(0.05)
      assert.is_true(client:close())
      pauser:close()
      lev.sleep(0.4)
      assert.is_nil(result[1])
      assert.matches("closed while the request waited", result[2])
      -- The shared connection goes on serving the others.
      local other = assert(redis.connect(address))
      assert.are.equal("PONG", other:cmd("PING"))
      other:close()
    end)
  end)
end)

describe("a client's own settings on the shared connection", function()
  it("applies each client's timeout to its own requests only", function()
    lev.run(function()
      local pauser = assert(redis.connect(address))
      local patient = assert(redis.connect(address))
      local hurried = assert(redis.connect({ host = "127.0.0.1", port = port, timeout = 0.2 }))
      assert.are.equal("OK", patient:cmd("SET", "timeouts:k", "v"))
      -- The server holds every client's commands for 600 ms.
      assert.are.equal("OK", pauser:cmd("CLIENT", "PAUSE", 600))
      local waited
      lev.spawn(function() waited = { patient:cmd("GET", "timeouts:k") } end)
      lev.sleep(0.02)
      local value, err = hurried:cmd("GET", "timeouts:k")
      assert.is_nil(value)
      assert.matches("time", err)
      lev.sleep(0.8)
      -- The other client's request was not failed by that timeout.
      assert.are.same({ "v" }, waited)
      pauser:close()
      patient:close()
      hurried:close()
    end)
  end)

  it("does not bound other clients by the timeout of the client that came first", function()
    lev.run(function()
      local config = { host = "127.0.0.1", port = port, db = 9 }
      local hurried = assert(redis.connect({ host = "127.0.0.1", port = port, db = 9, timeout = 0.05 }))
      local patient = assert(redis.connect(config))
      -- The first command makes the shared connection of db 9.
      assert.are.equal("OK", hurried:cmd("SET", "first:k", "v"))
      assert.are.equal("v", patient:cmd("GET", "first:k"))
      -- The shared connection of db 9 is killed, and the server holds every
      -- command (the next connection's handshake too) for 300 ms.
      local admin = assert(redis.connect(address))
      local killed = 0
      for line in admin:cmd("CLIENT", "LIST"):gmatch("[^\n]+") do
        if line:find(" db=9 ", 1, true) and line:find(" cmd=get ", 1, true) then
          killed = killed + admin:cmd("CLIENT", "KILL", "ID", line:match("^id=(%d+)"))
        end
      end
      assert.are.equal(1, killed)
      lev.sleep(0.05)
      assert.are.equal("OK", admin:cmd("CLIENT", "PAUSE", 300))
      -- Connecting again takes 300 ms: the other client waits it out.
      assert.are.equal("v", patient:cmd("GET", "first:k"))
      admin:close()
      hurried:close()
      patient:close()
    end)
  end)

  it("refuses WAIT sent alone by a client whose writes were shared", function()
    lev.run(function()
      -- A fresh client's WAIT runs (on its own connection), as it did.
      local fresh = assert(redis.connect(address))
      assert.are.equal(0, fresh:cmd("WAIT", 0, 0))
      fresh:close()
      local client = assert(redis.connect(address))
      assert.are.equal("OK", client:cmd("SET", "wait:k", "v"))
      local replicas, err = client:cmd("WAIT", 0, 0)
      assert.is_nil(replicas)
      assert.matches("one pipeline", err)
      -- In one pipeline the writes and WAIT share the client's connection.
      local replies = client:pipeline({ { "SET", "wait:k", "w" }, { "WAIT", 0, 0 } })
      assert.are.same({ { "OK" }, { 0 } }, replies)
      client:close()
    end)
  end)
end)

describe("dead-peer detection", function()
  -- The kernel's keepalive timer of the client's own connection, in clock
  -- ticks (0 when keepalive is off), found in /proc/net/tcp by the local
  -- port the server sees.
  local function keepalive_timer(client)
    local info = assert(client:cmd("CLIENT", "INFO"))
    local local_port = tonumber(info:match("addr=[%d%.]+:(%d+)"))
    for line in io.lines("/proc/net/tcp") do
      local lport, state, timer, when = line:match("^%s*%d+: %x+:(%x+) %x+:%x+ (%x+) %x+:%x+ (%x+):(%x+)")
      -- Established (01): an older socket of the port may linger in TIME_WAIT.
      if lport and tonumber(lport, 16) == local_port and state == "01" then
        return timer == "02" and tonumber(when, 16) or 0
      end
    end
    error("no socket on local port " .. local_port)
  end

  it("probes with keepalive by default, as configured, or not at all", function()
    lev.run(function()
      local default = assert(redis.connect(address))
      local ticks = keepalive_timer(default)
      -- At most 15 s away (less on a connection the pool kept a while).
      assert.is_true(ticks > 0 and ticks <= 1500, "ticks: " .. ticks)
      default:close()
      local off = assert(redis.connect({ host = "127.0.0.1", port = port, keepalive = false }))
      assert.are.equal(0, keepalive_timer(off))
      off:close()
      local longer = assert(redis.connect({ host = "127.0.0.1", port = port, keepalive = { idle = 60 } }))
      ticks = keepalive_timer(longer)
      assert.is_true(ticks > 1500 and ticks <= 6000, "ticks: " .. ticks)
      longer:close()
      local none, err = redis.connect({ host = "127.0.0.1", port = port, keepalive = { count = 0 } })
      assert.is_nil(none)
      assert.matches("keepalive", err)
      none, err = redis.connect({ host = "127.0.0.1", port = port, peer_timeout = -1 })
      assert.is_nil(none)
      assert.matches("peer_timeout", err)
    end)
  end)

  it("fails shared requests a server sits on past peer_timeout, then goes on", function()
    lev.run(function()
      local sleeper = assert(redis.connect(address))
      local config = { host = "127.0.0.1", port = port, db = 7, peer_timeout = 0.3 }
      local client = assert(redis.connect(config))
      assert.are.equal("OK", client:cmd("SET", "peer:k", "v"))
      lev.spawn(function() assert(sleeper:cmd("DEBUG", "SLEEP", 1)) end)
      lev.sleep(0.05)
      local value, err = client:cmd("GET", "peer:k")
      assert.is_nil(value)
      assert.matches("timed out after 300ms", err)
      lev.sleep(1)
      assert.are.equal("v", client:cmd("GET", "peer:k"))
      sleeper:close()
      client:close()
    end)
  end)
end)
