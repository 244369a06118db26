-- The contract's example runs as written: against 127.0.0.1:6379, and with
-- redis.example.com:6380 replaced by the local TLS server (password
-- "secret", its CA in REDWIRE_TLS_CA_FILE).
local lev = require("lev")
local redis = require("redis")

local tls_port = assert(tonumber(os.getenv("REDIS_TLS_PORT")), "REDIS_TLS_PORT is not set")

local function example()
  local file = assert(io.open("examples/contract.lua"))
  local source = file:read("*a")
  file:close()
  local replaced
  source, replaced = source:gsub('host = "redis%.example%.com",%s*port = 6380,',
    'host = "127.0.0.1", port = ' .. tls_port .. ',')
  assert.are.equal(1, replaced)
  return assert((loadstring or load)(source, "=examples/contract.lua"))
end

describe("the contract's example", function()
  it("runs as written and does what it says", function()
    lev.run(function()
      local tls = assert(redis.connect({
        host = "127.0.0.1", port = tls_port, ssl = true, db = 3,
        auth = { user = "default", pass = "secret" },
      }))
      tls:cmd("DEL", "x")
      tls:close()
    end)
    example()()
    lev.run(function()
      local client = assert(redis.connect())
      assert.are.equal("hello", client:cmd("GET", "greeting"))
      local results = client:pipeline({ { "MGET", "a", "b" } })
      assert.are.same({ { "1", "2" } }, results[1])
      client:close()
      local tls = assert(redis.connect({
        host = "127.0.0.1", port = tls_port, ssl = true, db = 3,
        auth = { user = "default", pass = "secret" },
      }))
      assert.are.equal("y", tls:cmd("GET", "x"))
      tls:close()
    end)
  end)
end)
