-- nauthilus_redis: named pools and one function per command.
local lev = require("lev")
local redis = require("redis")
local nr = require("nauthilus_redis")

local port = assert(tonumber(os.getenv("REDIS_PORT")), "REDIS_PORT is not set")
local acl_port = assert(tonumber(os.getenv("REDIS_ACL_PORT")), "REDIS_ACL_PORT is not set")
local sentinels = assert(os.getenv("REDIS_SENTINELS"), "REDIS_SENTINELS is not set")
local sentinel_master_port = assert(tonumber(os.getenv("REDIS_SENTINEL_MASTER_PORT")))
local cluster_nodes = assert(os.getenv("REDIS_CLUSTER_NODES"), "REDIS_CLUSTER_NODES is not set")

local function split(list)
  local items = {}
  for item in list:gmatch("[^,]+") do items[#items + 1] = item end
  return items
end

local registered = false
local function handles()
  if not registered then
    assert(nr.register_redis_pool("plain", "standalone", { address = "127.0.0.1:" .. port, db = 4, pool_size = 4 }))
    assert(nr.register_redis_pool("acl", "standalone", {
      address = "127.0.0.1:" .. acl_port, username = "app", password = "app-secret",
    }))
    assert(nr.register_redis_pool("master", "sentinel", { addresses = split(sentinels), master_name = "mymaster" }))
    assert(nr.register_redis_pool("replica", "sentinel_replica", { addresses = split(sentinels), master_name = "mymaster" }))
    assert(nr.register_redis_pool("cluster", "cluster", { addresses = split(cluster_nodes), min_idle_conns = 1 }))
    registered = true
  end
  return assert(nr.get_redis_connection("plain"))
end

describe("nauthilus_redis pools", function()
  it("registers each mode once and names what is wrong", function()
    handles()
    local ok, err = nr.register_redis_pool("plain", "standalone", { address = "127.0.0.1:1" })
    assert.is_nil(ok)
    assert.are.equal('a redis pool is already registered as "plain"', err)
    ok, err = nr.register_redis_pool("x", "ring", { address = "127.0.0.1:1" })
    assert.is_nil(ok)
    assert.are.equal('unknown mode "ring": expected standalone, sentinel, sentinel_replica or cluster', err)
    ok, err = nr.register_redis_pool("x", "standalone", {})
    assert.are.equal("option address or addresses is required", err)
    ok, err = nr.register_redis_pool("x", "standalone", { address = "127.0.0.1:1", colour = "red" })
    assert.are.equal('unknown option "colour"', err)
    ok, err = nr.register_redis_pool("x", "sentinel", { address = "127.0.0.1:1" })
    assert.are.equal("option master_name is required for a sentinel pool", err)
    ok, err = nr.register_redis_pool("x", "standalone", { address = "nohost" })
    assert.are.equal('address "nohost" is not host:port', err)
    ok, err = nr.register_redis_pool("x", "standalone", { address = "127.0.0.1:1", keepalive = { count = 0 } })
    assert.matches("keepalive must be false or a table", err)
    ok, err = nr.register_redis_pool("x", "standalone", { address = "127.0.0.1:1", peer_timeout = "soon" })
    assert.matches("peer_timeout must be a number of seconds", err)
    local none, why = nr.get_redis_connection("missing")
    assert.is_nil(none)
    assert.are.equal('no redis pool is registered as "missing"', why)
  end)

  it("reaches the right server in every mode", function()
    handles()
    local plain = nr.get_redis_connection("plain")
    assert.are.equal("OK", nr.redis_set(plain, "nr:where", "plain"))
    assert.are.equal("plain", nr.redis_get(plain, "nr:where"))
    -- db 4 of the plain server, through its own connection.
    lev.run(function()
      local direct = assert(redis.connect({ host = "127.0.0.1", port = port, db = 4 }))
      assert.are.equal("plain", direct:cmd("GET", "nr:where"))
      direct:close()
    end)
    local acl = nr.get_redis_connection("acl")
    assert.are.equal("OK", nr.redis_set(acl, "nr:acl", "yes"))
    assert.are.equal("yes", nr.redis_get(acl, "nr:acl"))

    local master = nr.get_redis_connection("master")
    assert.are.equal("OK", nr.redis_set(master, "nr:sentinel", "written"))
    lev.run(function()
      local direct = assert(redis.connect({ host = "127.0.0.1", port = sentinel_master_port }))
      assert.are.equal("written", direct:cmd("GET", "nr:sentinel"))
      direct:cmd("WAIT", 2, 1000)
      direct:close()
    end)
    local replica = nr.get_redis_connection("replica")
    assert.are.equal("written", nr.redis_get(replica, "nr:sentinel"))
    local refused, err = nr.redis_set(replica, "nr:sentinel", "no")
    assert.is_nil(refused)
    assert.matches("^READONLY", err)

    local cluster = nr.get_redis_connection("cluster")
    for i = 1, 50 do
      assert.are.equal("OK", nr.redis_set(cluster, "nr:c:" .. i, i))
    end
    for i = 1, 50 do
      assert.are.equal(tostring(i), nr.redis_get(cluster, "nr:c:" .. i))
    end
  end)
end)

describe("nauthilus_redis functions", function()
  it("return value, nil on success and nil, err on failure", function()
    local h = handles()
    nr.redis_del(h, "nr:s")
    assert.are.equal("OK", nr.redis_set(h, "nr:s", "v", 100))
    lev.run(function()
      local direct = assert(redis.connect({ host = "127.0.0.1", port = port, db = 4 }))
      local ttl = direct:cmd("TTL", "nr:s")
      assert.is_true(ttl > 90 and ttl <= 100)
      direct:close()
    end)
    assert.are.equal("v", nr.redis_get(h, "nr:s"))
    -- A TTL of 0, or one left nil, means no expiry.
    assert.are.equal("OK", nr.redis_set(h, "nr:s0", "v", 0))
    assert.are.equal("OK", nr.redis_set(h, "nr:snil", "v", nil))
    local bad, why = nr.redis_set(h, "nr:s0", "v", -5)
    assert.is_nil(bad)
    assert.are.equal('the TTL must be a non-negative integer of seconds, got "-5"', why)
    lev.run(function()
      local direct = assert(redis.connect({ host = "127.0.0.1", port = port, db = 4 }))
      assert.are.equal(-1, direct:cmd("TTL", "nr:s0"))
      assert.are.equal(-1, direct:cmd("TTL", "nr:snil"))
      direct:close()
    end)
    local missing, none = nr.redis_get(h, "nr:missing")
    assert.is_nil(missing)
    assert.is_nil(none)
    nr.redis_del(h, "nr:n")
    assert.are.equal(1, nr.redis_incr(h, "nr:n"))
    assert.are.equal(2, nr.redis_incr(h, "nr:n"))
    local failed, err = nr.redis_incr(h, "nr:s")
    assert.is_nil(failed)
    assert.matches("^ERR value is not an integer", err)
    assert.are.equal("OK", nr.redis_expire(h, "nr:n", 50))
    assert.are.equal("OK", nr.redis_rename(h, "nr:n", "nr:n2"))
    assert.are.equal("2", nr.redis_get(h, "nr:n2"))
    assert.are.equal("OK", nr.redis_del(h, "nr:n2"))
    assert.is_nil(nr.redis_get(h, "nr:n2"))
    failed, err = nr.redis_rename(h, "nr:nothing", "nr:other")
    assert.is_nil(failed)
    assert.matches("no such key", err)

    nr.redis_del(h, "nr:h")
    assert.are.equal(1, nr.redis_hset(h, "nr:h", "send_mail", 1))
    assert.are.equal("1", nr.redis_hget(h, "nr:h", "send_mail"))
    assert.is_nil(nr.redis_hget(h, "nr:h", "nothing"))
    assert.are.equal(5, nr.redis_hincrby(h, "nr:h", "count", 5))
    assert.are.equal(1.5, nr.redis_hincrbyfloat(h, "nr:h", "ratio", 1.5))
    assert.are.equal(3, nr.redis_hlen(h, "nr:h"))
    assert.are.same({ send_mail = "1", count = "5", ratio = "1.5" }, nr.redis_hgetall(h, "nr:h"))
    assert.is_true(nr.redis_hexists(h, "nr:h", "count"))
    assert.is_false(nr.redis_hexists(h, "nr:h", "nothing"))
    assert.are.equal(1, nr.redis_hdel(h, "nr:h", "count"))

    nr.redis_del(h, "nr:set")
    assert.are.equal(1, nr.redis_sadd(h, "nr:set", "a"))
    assert.are.equal(1, nr.redis_sadd(h, "nr:set", "b"))
    assert.is_true(nr.redis_sismember(h, "nr:set", "a"))
    assert.is_false(nr.redis_sismember(h, "nr:set", "z"))
    local members = nr.redis_smembers(h, "nr:set")
    table.sort(members)
    assert.are.same({ "a", "b" }, members)
    assert.are.equal(1, nr.redis_srem(h, "nr:set", "a"))
    assert.are.equal(1, nr.redis_scard(h, "nr:set"))

    local bad, why = nr.redis_get("not a handle", "k")
    assert.is_nil(bad)
    assert.are.equal('the first argument must be a redis handle or "default", got string', why)
  end)

  it("work inside lev.run too, yielding", function()
    local h = handles()
    local values = {}
    lev.run(function()
      for i = 1, 3 do
        lev.spawn(function() values[i] = nr.redis_incr(h, "nr:spawned") end)
      end
    end)
    table.sort(values)
    assert.are.equal(values[1] + 1, values[2])
    assert.are.equal(values[2] + 1, values[3])
  end)

  it("share one connection among the coroutines of a lev.run", function()
    assert(nr.register_redis_pool("shared", "standalone", { address = "127.0.0.1:" .. port, db = 11, pool_size = 4 }))
    local h = assert(nr.get_redis_connection("shared"))
    assert(nr.redis_del(h, "nr:shared"))
    local last = {}
    lev.run(function()
      for i = 1, 50 do
        lev.spawn(function()
          for _ = 1, 20 do last[i] = assert(nr.redis_incr(h, "nr:shared")) end
        end)
      end
    end)
    assert.are.equal("1000", nr.redis_get(h, "nr:shared"))
    assert.are.equal(50, #last)
    lev.run(function()
      local direct = assert(redis.connect({ host = "127.0.0.1", port = port }))
      local _, connections = assert(direct:cmd("CLIENT", "LIST")):gsub(" db=11 ", "")
      direct:close()
      -- Every coroutine's commands went on the pool's one shared connection.
      assert.are.equal(1, connections)
    end)
  end)

  it("upload scripts, run them by name, and upload them again after SCRIPT FLUSH", function()
    local h = handles()
    local script = [[
      local send_mail = redis.call('HGET', KEYS[1], 'send_mail')
      if send_mail == false then
        redis.call('HSET', KEYS[1], 'send_mail', '1')
        return {'send_email', KEYS[1]}
      end
      return {'email_already_sent'}
    ]]
    nr.redis_del(h, "nr:mail")
    local sha = assert(nr.redis_upload_script(h, script, "send_mail"))
    assert.are.equal(40, #sha)
    assert.are.same({ "send_email", "nr:mail" }, nr.redis_run_script(h, "", "send_mail", { "nr:mail" }, {}))
    assert.are.same({ "email_already_sent" }, nr.redis_run_script(h, "", "send_mail", { "nr:mail" }, {}))
    lev.run(function()
      local direct = assert(redis.connect({ host = "127.0.0.1", port = port }))
      assert.are.equal("OK", direct:cmd("SCRIPT", "FLUSH"))
      direct:close()
    end)
    nr.redis_del(h, "nr:mail")
    assert.are.same({ "send_email", "nr:mail" }, nr.redis_run_script(h, "", "send_mail", { "nr:mail" }, {}))
    -- A script given in full runs once.
    assert.are.equal(7, nr.redis_run_script(h, "return tonumber(ARGV[1]) + 2", "", {}, { 5 }))
    local none, err = nr.redis_run_script(h, "", "unknown", {}, {})
    assert.is_nil(none)
    assert.are.equal('no script was uploaded as "unknown"', err)
    -- On the cluster: by the first key's node.
    local cluster = nr.get_redis_connection("cluster")
    assert(nr.redis_upload_script(cluster, "return redis.call('INCR', KEYS[1])", "incr"))
    for i = 1, 10 do
      assert.are.equal("OK", nr.redis_del(cluster, "nr:script:" .. i))
      assert.are.equal(1, nr.redis_run_script(cluster, "", "incr", { "nr:script:" .. i }, {}))
    end
  end)
end)

describe("a nauthilus_redis pool's dead-peer detection", function()
  it("fails a command the server sits on past peer_timeout, then goes on", function()
    assert(nr.register_redis_pool("quick", "standalone", {
      address = "127.0.0.1:" .. port, db = 5, peer_timeout = 0.3, keepalive = { idle = 10 },
    }))
    local quick = assert(nr.get_redis_connection("quick"))
    assert.are.equal("OK", nr.redis_set(quick, "nr:peer", "v"))
    lev.run(function()
      local sleeper = assert(redis.connect({ host = "127.0.0.1", port = port }))
      lev.spawn(function() assert(sleeper:cmd("DEBUG", "SLEEP", 1)) end)
      lev.sleep(0.05)
      local value, err = nr.redis_get(quick, "nr:peer")
      assert.is_nil(value)
      assert.matches("timed out after 300ms", err)
      lev.sleep(1)
      assert.are.equal("v", nr.redis_get(quick, "nr:peer"))
      sleeper:close()
    end)
  end)
end)
