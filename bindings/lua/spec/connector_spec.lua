-- redwire.connector and redwire.sentinel: lua-resty-redis-connector's API.
local lev = require("lev")
local connector = require("redwire.connector")
local sentinel = require("redwire.sentinel")

local port = assert(tonumber(os.getenv("REDIS_PORT")), "REDIS_PORT is not set")
local acl_port = assert(tonumber(os.getenv("REDIS_ACL_PORT")), "REDIS_ACL_PORT is not set")
local tls_port = assert(tonumber(os.getenv("REDIS_TLS_PORT")), "REDIS_TLS_PORT is not set")
local socket = assert(os.getenv("REDIS_UNIX_SOCKET"), "REDIS_UNIX_SOCKET is not set")
local master_port = assert(tonumber(os.getenv("REDIS_SENTINEL_MASTER_PORT")))

local function addresses(list)
  local items = {}
  for host, p in list:gmatch("([^,:]+):(%d+)") do
    items[#items + 1] = { host = host, port = tonumber(p) }
  end
  return items
end
local sentinels = addresses(assert(os.getenv("REDIS_SENTINELS")))
local secured_sentinels = addresses(assert(os.getenv("REDIS_SECURED_SENTINELS")))

-- A port nothing listens on.
local dead_port = 1

-- Runs fn inside lev.run with a connection from rc:connect(params),
-- given back with set_keepalive after.
local function with_redis(params, fn)
  return lev.run(function()
    local rc = assert(connector.new({ port = port }))
    local red = assert(rc:connect(params))
    fn(red, rc)
    rc:set_keepalive(red)
  end)
end

describe("redwire.connector.new", function()
  it("has lua-resty-redis-connector's defaults", function()
    local rc = assert(connector.new())
    assert.are.same({
      connect_timeout = 100, send_timeout = 1000, read_timeout = 1000,
      keepalive_timeout = 60000, keepalive_poolsize = 30,
      connection_options = { ssl = false, ssl_verify = true },
      host = "127.0.0.1", port = 6379, path = "", username = "", sentinel_username = "",
      db = 0, master_name = "mymaster", role = "master", sentinels = {},
      connection_is_proxied = false, disabled_commands = {},
    }, rc.config)
  end)

  it("refuses an unknown field by name", function()
    local rc, err = connector.new({ hots = "redis" })
    assert.is_nil(rc)
    assert.are.equal("field hots does not exist", err)
    rc, err = connector.new({ connection_options = { sll = true } })
    assert.is_nil(rc)
    assert.are.equal("field connection_options.sll does not exist", err)
    rc, err = connector.new({ connection_options = { pool_size = 5 } })
    assert.is_nil(rc)
    assert.matches("field connection_options.pool_size is not supported: keepalive_poolsize", err, 1, true)
    lev.run(function()
      local red
      red, err = assert(connector.new()):connect({ prot = 1 })
      assert.is_nil(red)
      assert.are.equal("field prot does not exist", err)
    end)
  end)

  it("names the field and the rule of a bad value, never a password", function()
    local cases = {
      { { port = 0 }, "field port must be an integer 1..65535, got 0" },
      { { port = "x" }, 'field port must be an integer 1..65535, got "x"' },
      { { db = -1 }, "field db must be a non-negative integer, got -1" },
      { { host = "" }, 'field host must be a non-empty string, got ""' },
      { { role = "primary" }, 'field role must be "master", "slave" or "any", got "primary"' },
      { { connect_timeout = 0 }, "field connect_timeout must be a positive number of milliseconds, got 0" },
      { { keepalive_timeout = -5 }, "field keepalive_timeout must be a non-negative number of milliseconds, got -5" },
      { { keepalive_poolsize = 0 }, "field keepalive_poolsize must be a positive integer, got 0" },
      { { sentinels = { { host = "h", port = 70000 } } }, "field sentinels[1].port must be an integer 1..65535, got 70000" },
      { { sentinels = { "h:1" } }, 'field sentinels[1] must be a table { host = …, port = … }, got "h:1"' },
      { { disabled_commands = { 42 } }, "field disabled_commands[1] must be a non-empty string, got 42" },
      { { connection_is_proxied = "yes" }, 'field connection_is_proxied must be a boolean, got "yes"' },
      { { password = 1234 }, "field password must be a string, got number" },
    }
    for _, case in ipairs(cases) do
      local rc, err = connector.new(case[1])
      assert.is_nil(rc)
      assert.are.equal(case[2], err)
    end
  end)

  it("lets read_timeout alone set send_timeout", function()
    local rc = assert(connector.new({ read_timeout = 250 }))
    assert.are.equal(250, rc.config.read_timeout)
    assert.are.equal(250, rc.config.send_timeout)
    rc = assert(connector.new({ read_timeout = 250, send_timeout = 40 }))
    assert.are.equal(40, rc.config.send_timeout)
  end)

  it("takes a DSN, overridden by explicit fields, and keeps passwords out of config", function()
    local rc = assert(connector.new({ url = "redis://app:p%40ss@10.1.2.3:6380/4", db = 7 }))
    assert.are.equal("10.1.2.3", rc.config.host)
    assert.are.equal(6380, rc.config.port)
    assert.are.equal("app", rc.config.username)
    assert.are.equal(7, rc.config.db)
    assert.is_nil(rc.config.password)
  end)
end)

describe("redwire.connector.parse_dsn", function()
  it("fills in the fields a DSN gives and the caller does not", function()
    local params = assert(connector.parse_dsn({ url = "redis://u:pw@cache:6390/3", port = 7000 }))
    assert.are.same({
      url = "redis://u:pw@cache:6390/3", host = "cache", port = 7000, db = 3,
      username = "u", password = "pw",
    }, params)
    params = assert(connector.parse_dsn({ url = "redis://:pw@cache" }))
    assert.are.equal("pw", params.password)
    assert.is_nil(params.username)
    assert.is_nil(params.db)
    params = assert(connector.parse_dsn({ url = "sentinel://s:pw@mymaster:s/2" }))
    assert.are.equal("mymaster", params.master_name)
    assert.are.equal("slave", params.role)
    assert.are.equal(2, params.db)
    params = assert(connector.parse_dsn({ url = "sentinel://othermaster:m" }))
    assert.are.equal("master", params.role)
    params = assert(connector.parse_dsn({ url = "unix:///run/redis.sock" }))
    assert.are.equal("/run/redis.sock", params.path)
    params = assert(connector.parse_dsn({ url = "rediss://cache:6380" }))
    assert.is_true(params.connection_options.ssl)
  end)

  it("gives a clear error for a bad DSN", function()
    local cases = {
      { "redis://cache:99999", "could not parse DSN: " },
      { "sentinel://mymaster:x", "could not parse DSN: " },
      { "ftp://cache", "could not parse DSN: " },
      { "redis://cache:6379?read_timeout=5", "could not parse DSN: query options are not read here" },
      { "redis+cluster://a:1,b:2", "could not parse DSN: use redis://, rediss://, unix:// or sentinel://" },
    }
    for _, case in ipairs(cases) do
      local params, err = connector.parse_dsn({ url = case[1] })
      assert.is_nil(params)
      assert.matches(case[2], err, 1, true)
    end
    local none, why = connector.parse_dsn({ url = {} })
    assert.is_nil(none)
    assert.are.equal("field url must be a DSN string, got table", why)
    none, why = connector.new({ url = 6379 })
    assert.is_nil(none)
    assert.are.equal("field url must be a DSN string, got 6379", why)
    local rc, err = connector.new({ url = "redis://secretpw@cache:0" })
    assert.is_nil(rc)
    assert.matches("could not parse DSN", err, 1, true)
    assert.is_nil(err:find("secretpw", 1, true))
  end)
end)

describe("redwire.connector connections", function()
  it("selects the DSN's db, and connect's fields override new's", function()
    lev.run(function()
      local rc = assert(connector.new({ port = port, db = 2 }))
      local red = assert(rc:connect())
      assert.matches(" db=2 ", red:client("info"))
      rc:set_keepalive(red)
      red = assert(rc:connect({ url = "redis://127.0.0.1:" .. port .. "/5" }))
      assert.matches(" db=5 ", red:client("info"))
      rc:set_keepalive(red)
      red = assert(rc:connect({ url = "redis://127.0.0.1:" .. port .. "/5", db = 6 }))
      assert.matches(" db=6 ", red:client("info"))
      rc:set_keepalive(red)
      -- new's own config is unchanged.
      assert.are.equal(2, rc.config.db)
    end)
  end)

  it("has a method per command, false on error replies and connector.null for nulls", function()
    with_redis(nil, function(red)
      assert.are.equal("OK", red:set("rc:k", "v1"))
      assert.are.equal("v1", red:get("rc:k"))
      assert.are.equal(connector.null, red:get("rc:missing"))
      assert.are.equal(1, red:del("rc:k"))
      assert.are.equal(5, red:incrby("rc:n", 5))
      local ok, err = red:hget("rc:n", "f")
      assert.is_false(ok)
      assert.matches("^WRONGTYPE", err)
      ok, err = red:nosuchcommand("x")
      assert.is_false(ok)
      assert.matches("unknown command", err)
      assert.are.equal("OK", red:hmset("rc:h", { a = "1", b = 2 }))
      local flat = red:hgetall("rc:h")
      assert.are.equal(4, #flat)
      assert.are.same({ "1", connector.null, "2" }, red:hmget("rc:h", "a", "zz", "b"))
      assert.are.equal("hash", red:type("rc:h"))
      assert.are.equal(2, red:del("rc:h", "rc:n"))
      assert.are.equal("PONG", red:PING())
    end)
  end)

  it("pipelines with error replies in place", function()
    with_redis(nil, function(red)
      local none, err = red:commit_pipeline()
      assert.is_nil(none)
      assert.are.equal("no pipeline", err)
      red:init_pipeline()
      red:set("rc:p", "x")
      red:incr("rc:p")
      red:get("rc:p")
      red:get("rc:p:missing")
      red:del("rc:p")
      local results = assert(red:commit_pipeline())
      assert.are.equal(5, #results)
      assert.are.equal("OK", results[1])
      assert.is_false(results[2][1])
      assert.matches("not an integer", results[2][2])
      assert.are.equal("x", results[3])
      assert.are.equal(connector.null, results[4])
      assert.are.equal(1, results[5])
      red:init_pipeline()
      red:set("rc:p", "never")
      red:cancel_pipeline()
      assert.are.equal(connector.null, red:get("rc:p"))
      red:init_pipeline()
      assert.are.same({}, red:commit_pipeline())
      assert.are.same({ a = "1", b = "2" }, red:array_to_hash({ "a", "1", "b", "2" }))
    end)
  end)

  it("refuses a disabled command when it is queued, and runs the rest", function()
    lev.run(function()
      local rc = assert(connector.new({ port = port, disabled_commands = { "flushdb" } }))
      local red = assert(rc:connect())
      red:init_pipeline()
      red:set("rc:q", "1")
      local none, err = red:flushdb()
      assert.is_nil(none)
      assert.are.equal("Command flushdb is disabled", err)
      red:get("rc:q")
      assert.are.same({ "OK", "1" }, red:commit_pipeline())
      red:del("rc:q")
      rc:set_keepalive(red)
    end)
  end)

  it("reuses kept-alive connections and closes closed ones", function()
    lev.run(function()
      local rc = assert(connector.new({ port = port }))
      local red = assert(rc:connect())
      local id = red:client("id")
      assert.are.equal(1, rc:set_keepalive(red))
      local none, err = red:get("k")
      assert.is_nil(none)
      assert.are.equal("the connection is closed", err)
      none, err = rc:set_keepalive(red)
      assert.is_nil(none)
      assert.are.equal("the connection is closed", err)
      red = assert(rc:connect())
      assert.are.equal(id, red:client("id"))
      -- MULTI left open is discarded before keepalive.
      assert.are.equal("OK", red:multi())
      assert.are.equal("QUEUED", red:set("rc:multi", "x"))
      assert.are.equal(1, red:set_keepalive())
      red = assert(rc:connect())
      assert.are.equal(id, red:client("id"))
      local ok, exec_err = red:exec()
      assert.is_false(ok)
      assert.matches("EXEC without MULTI", exec_err)
      assert.are.equal(connector.null, red:get("rc:multi"))
      assert.are.equal(1, red:close())
      red = assert(rc:connect())
      assert.are_not.equal(id, red:client("id"))
      rc:set_keepalive(red)
    end)
  end)

  it("keeps at most keepalive_poolsize connections", function()
    lev.run(function()
      local rc = assert(connector.new({ port = port, keepalive_poolsize = 1, keepalive_timeout = 5000 }))
      local a, b = assert(rc:connect()), assert(rc:connect())
      local ida, idb = a:client("id"), b:client("id")
      assert.are_not.equal(ida, idb)
      rc:set_keepalive(a)
      rc:set_keepalive(b)
      local c, d = assert(rc:connect()), assert(rc:connect())
      local idc, idd = c:client("id"), d:client("id")
      assert.are.equal(ida, idc)
      assert.are_not.equal(idb, idd)
      rc:set_keepalive(c)
      rc:set_keepalive(d)
    end)
  end)

  it("authenticates with username and password; a wrong one is WRONGPASS", function()
    lev.run(function()
      local rc = assert(connector.new({ port = acl_port }))
      local red = assert(rc:connect({ username = "app", password = "app-secret" }))
      assert.are.equal("app", red:acl("whoami"))
      rc:set_keepalive(red)
      local none, err = rc:connect({ url = "redis://app:wrong-secret@127.0.0.1:" .. acl_port })
      assert.is_nil(none)
      assert.matches("WRONGPASS", err)
      assert.is_nil(err:find("wrong-secret", 1, true))
    end)
  end)

  it("connects over a unix socket and TLS", function()
    lev.run(function()
      local rc = assert(connector.new())
      local red = assert(rc:connect({ path = socket, db = 1 }))
      assert.matches(" db=1 ", red:client("info"))
      rc:set_keepalive(red)
      red = assert(rc:connect({
        port = tls_port, password = "secret", connection_options = { ssl = true },
      }))
      assert.are.equal("PONG", red:ping())
      rc:set_keepalive(red)
    end)
  end)

  it("refuses disabled commands, and in proxy mode twemproxy's, without SELECT", function()
    lev.run(function()
      local rc = assert(connector.new({ port = port, disabled_commands = { "flushall", "set" } }))
      local red = assert(rc:connect())
      local none, err = red:set("rc:d", "x")
      assert.is_nil(none)
      assert.are.equal("Command set is disabled", err)
      none, err = red:FlushAll()
      assert.is_nil(none)
      assert.are.equal("Command flushall is disabled", err)
      assert.are.equal(connector.null, red:get("rc:d"))
      rc:set_keepalive(red)

      rc = assert(connector.new({ port = port, db = 3, connection_is_proxied = true }))
      red = assert(rc:connect())
      none, err = red:rename("a", "b")
      assert.is_nil(none)
      assert.are.equal("Command rename is disabled", err)
      none, err = red:client("info")
      assert.is_nil(none)
      assert.are.equal("Command client is disabled", err)
      assert.are.equal("OK", red:set("rc:proxied", "db0"))
      rc:set_keepalive(red)

      -- Proxied with a list of its own: no SELECT happened, so db 0.
      rc = assert(connector.new({
        port = port, db = 3, connection_is_proxied = true, disabled_commands = { "keys" },
      }))
      red = assert(rc:connect())
      assert.matches(" db=0 ", red:client("info"))
      assert.are.equal("db0", red:get("rc:proxied"))
      red:del("rc:proxied")
      rc:set_keepalive(red)
    end)
  end)

  it("tries hosts in order and reports each failure", function()
    lev.run(function()
      local rc = assert(connector.new({ connect_timeout = 500 }))
      local red, err, errors = rc:try_hosts({
        { host = "127.0.0.1", port = dead_port },
        { host = "127.0.0.1", port = port },
      })
      assert.is_not_nil(red, err)
      assert.is_nil(err)
      assert.are.equal(1, #errors)
      assert.matches("127.0.0.1:" .. dead_port, errors[1], 1, true)
      assert.are.equal("PONG", red:ping())
      rc:set_keepalive(red)
      red, err, errors = rc:try_hosts({
        { host = "127.0.0.1", port = dead_port },
        { host = "127.0.0.1", port = dead_port, db = 1 },
      })
      assert.is_nil(red)
      assert.are.equal("no hosts available", err)
      assert.are.equal(2, #errors)
      -- Host tables may carry fields of their own, as upstream's do.
      red = assert(rc:connect_to_host({ host = "127.0.0.1", port = port, weight = 3 }))
      assert.are.equal("PONG", red:ping())
      rc:set_keepalive(red)
    end)
  end)

  it("returns nil, err on a read timeout and outside lev.run", function()
    local rc = assert(connector.new({ port = port, read_timeout = 100 }))
    local none, err = rc:connect()
    assert.is_nil(none)
    assert.are.equal("redis operations must run inside lev.run()", err)
    lev.run(function()
      local red = assert(rc:connect())
      local started = os.time()
      local reply, why = red:blpop("rc:never", 0)
      assert.is_nil(reply)
      assert.matches("timed out", why)
      assert.is_true(os.time() - started < 5)
      red:close()
    end)
  end)
end)

describe("redwire.connector's shared connection", function()
  -- Connections of one database, counted by the server.
  local function connections(db)
    return lev.run(function()
      local rc = assert(connector.new({ port = port }))
      local watcher = assert(rc:connect())
      local _, count = assert(watcher:client("list")):gsub(" db=" .. db .. " ", "")
      watcher:close()
      return count
    end)
  end

  it("carries the commands of every coroutine's connection that may share one", function()
    local seen = {}
    lev.run(function()
      local rc = assert(connector.new({ port = port, db = 14 }))
      local setup = assert(rc:connect())
      assert(setup:del("rc:shared:n"))
      assert.are.equal(1, rc:set_keepalive(setup))
      for i = 1, 50 do
        lev.spawn(function()
          for _ = 1, 20 do
            local red = assert(rc:connect())
            seen[i] = assert(red:incr("rc:shared:n"))
            assert.are.equal(1, rc:set_keepalive(red))
          end
        end)
      end
    end)
    assert.are.equal(50, #seen)
    with_redis({ db = 14 }, function(red)
      assert.are.equal("1000", red:get("rc:shared:n"))
    end)
    -- One shared connection, and the kept-alive ones that checked the
    -- server: not a connection per coroutine.
    assert.is_true(connections(14) <= 2, "connections: " .. connections(14))
  end)

  it("keeps each connection's read timeout, also when set before its first command", function()
    lev.run(function()
      local rc = assert(connector.new({ port = port, read_timeout = 5000 }))
      local pauser = assert(rc:connect())
      local patient, hurried = assert(rc:connect()), assert(rc:connect())
      assert.are.equal("OK", patient:set("rc:timeouts:k", "v"))
      hurried:set_timeouts(100, 1000, 200)
      -- The server holds every client's commands for 600 ms.
      assert.are.equal("OK", pauser:client("pause", 600))
      local waited
      lev.spawn(function() waited = { patient:get("rc:timeouts:k") } end)
      lev.sleep(0.02)
      local value, err = hurried:get("rc:timeouts:k")
      assert.is_nil(value)
      assert.matches("timed out", err)
      lev.sleep(0.8)
      -- The other connection's request was not failed by that timeout.
      assert.are.same({ "v" }, waited)
      pauser:close()
      rc:set_keepalive(patient)
      rc:set_keepalive(hurried)
    end)
  end)

  it("keeps each connector's disabled commands apart on one server", function()
    lev.run(function()
      local strict = assert(connector.new({ port = port, disabled_commands = { "get" } }))
      local open = assert(connector.new({ port = port }))
      local a, b = assert(strict:connect()), assert(open:connect())
      assert.are.equal("OK", b:set("rc:apart", "v"))
      local none, err = a:get("rc:apart")
      assert.is_nil(none)
      assert.are.equal("Command get is disabled", err)
      assert.are.equal("v", b:get("rc:apart"))
      strict:set_keepalive(a)
      open:set_keepalive(b)
    end)
  end)

  it("is not used through a proxy: each connection holds its own from connect", function()
    lev.run(function()
      local watcher = assert(assert(connector.new({ port = port })):connect())
      -- Connections the server accepted after the one numbered `after`
      -- (others closing meanwhile do not count).
      local function since(after)
        local count, last = 0, 0
        for line in assert(watcher:client("list")):gmatch("[^\n]+") do
          local id = tonumber(line:match("^id=(%d+)"))
          last = math.max(last, id)
          if id > after then
            count = count + 1
          end
        end
        return count, last
      end
      local _, before = since(0)
      local rc = assert(connector.new({
        port = port, connection_is_proxied = true, connection_options = { pool = "proxied-spec" },
      }))
      local reds = {}
      for i = 1, 3 do reds[i] = assert(rc:connect()) end
      -- A connection with no handshake is made once the kernel has it:
      -- the server may accept it after the next command it reads.
      local opened = since(before)
      for _ = 1, 100 do
        if opened >= 3 then break end
        lev.sleep(0.01)
        opened = since(before)
      end
      assert.are.equal(3, opened)
      assert.are.equal("OK", reds[1]:set("rc:proxied:own", "v"))
      for i = 1, 3 do reds[i]:close() end
      watcher:close()
    end)
  end)

  it("takes a connection of its own for a transaction, and gives it back with set_keepalive", function()
    lev.run(function()
      local rc = assert(connector.new({ port = port, db = 15 }))
      local red = assert(rc:connect())
      assert.are.equal("OK", red:set("rc:own:k", "v"))
      assert.are.equal("OK", red:multi())
      assert.are.equal("QUEUED", red:get("rc:own:k"))
      assert.are.same({ "v" }, red:exec())
      local id = red:client("id")
      assert.are.equal(1, rc:set_keepalive(red))
      -- The same connection, from the keepalive pool.
      red = assert(rc:connect())
      assert.are.equal(id, red:client("id"))
      assert.are.equal(1, rc:set_keepalive(red))
    end)
  end)
end)

describe("redwire.connector through sentinels", function()
  it("reaches the master and a healthy slave", function()
    lev.run(function()
      local rc = assert(connector.new({ sentinels = sentinels }))
      local red = assert(rc:connect({ url = "sentinel://mymaster:m" }))
      assert.are.equal("master", red:role()[1])
      assert.matches("tcp_port:" .. master_port, red:info("server"))
      rc:set_keepalive(red)
      red = assert(rc:connect({ role = "slave" }))
      assert.are.equal("slave", red:role()[1])
      rc:set_keepalive(red)
      red = assert(rc:connect_via_sentinel({ url = "sentinel://mymaster:s/1" }))
      assert.are.equal("slave", red:role()[1])
      assert.matches(" db=1 ", red:client("info"))
      rc:set_keepalive(red)
      local none, err = rc:connect({ master_name = "nosuchmaster" })
      assert.is_nil(none)
      assert.matches("nosuchmaster", err)
    end)
  end)

  it("asks a sentinel for the master and the slaves", function()
    lev.run(function()
      local rc = assert(connector.new())
      local s = assert(rc:connect_to_host(sentinels[1]))
      local master = assert(sentinel.get_master(s, "mymaster"))
      assert.are.same({ host = "127.0.0.1", port = master_port }, master)
      local slaves = assert(sentinel.get_slaves(s, "mymaster"))
      assert.are.equal(2, #slaves)
      for _, slave in ipairs(slaves) do
        assert.are_not.equal(master_port, slave.port)
        assert.are.equal("127.0.0.1", slave.host)
      end
      local none, err = sentinel.get_master(s, "nosuchmaster")
      assert.is_nil(none)
      assert.matches("nosuchmaster", err)
      none, err = sentinel.get_slaves(s, "nosuchmaster")
      assert.is_nil(none)
      assert.are.equal("ERR No such master with that name", err)
      rc:set_keepalive(s)
    end)
  end)

  it("uses sentinel credentials apart from the data password", function()
    lev.run(function()
      local rc = assert(connector.new({
        sentinels = secured_sentinels, password = "data-secret",
        sentinel_username = "watcher", sentinel_password = "watch-secret",
      }))
      local red = assert(rc:connect())
      assert.are.equal("master", red:role()[1])
      rc:set_keepalive(red)
      red = assert(rc:connect({ role = "slave" }))
      assert.are.equal("slave", red:role()[1])
      rc:set_keepalive(red)
      local none, err = rc:connect({ sentinel_password = "" })
      assert.is_nil(none)
      assert.is_string(err)
      none, err = rc:connect({ sentinel_password = "not-it" })
      assert.is_nil(none)
      assert.is_nil(err:find("not-it", 1, true))
      local s = assert(rc:connect_to_host({
        host = secured_sentinels[1].host, port = secured_sentinels[1].port,
        username = "watcher", password = "watch-secret",
      }))
      assert.is_table(assert(sentinel.get_master(s, "mymaster")))
      rc:set_keepalive(s)
    end)
  end)
end)
