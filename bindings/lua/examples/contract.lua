-- The example at the end of the redis module's contract, as written; the
-- spec runs it with redis.example.com:6380 pointed at a local TLS server.
local lev = require("lev")
local redis = require("redis")
lev.run(function()
  -- Default connection (127.0.0.1:6379)
  local client, err = redis.connect()
  if not client then error(err) end
  client:cmd("SET", "greeting", "hello")
  local val = client:cmd("GET", "greeting") -- "hello"
  -- Pipeline
  local results = client:pipeline({
    { "SET", "a", "1" },
    { "SET", "b", "2" },
    { "MGET", "a", "b" },
  })
  -- results[3][1] = { "1", "2" }
  client:close() -- return to pool
  -- Authenticated TLS connection to specific db
  local secure, err = redis.connect({
    host = "redis.example.com",
    port = 6380,
    ssl = true,
    auth = { user = "default", pass = "secret" },
    db = 3,
    timeout = 5,
  })
  if secure then
    secure:cmd("SET", "x", "y")
    secure:close(true) -- force-close, skip pool
  end
end)
