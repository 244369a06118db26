-- lev: coroutines on redwire's runtime (see the native module's docs).
-- Each function given to lev.run or lev.spawn runs in a coroutine of its
-- own, driven from a native one that passes its waits through: its error
-- value reaches lev.run's caller as it was raised (a string as itself, a
-- table as that table), and redis operations know they run where lev can
-- wait for them.
local native = require("redwire_native").lev
local unpack = table.unpack or unpack
local create, resume, yield, status = coroutine.create, coroutine.resume, coroutine.yield, coroutine.status

local function pack(...)
  return { n = select("#", ...), ... }
end

-- Runs fn(...) in a coroutine lev drives, every yield passed to the native
-- coroutine and every resume back: true and fn's results, or false and its
-- error value as raised.
local function drive(fn, ...)
  -- A Lua function around fn: Lua 5.1 makes coroutines of those only.
  local co = create(function(...) return fn(...) end)
  native.adopt(co)
  local results = pack(resume(co, ...))
  while true do
    if not results[1] then
      return false, results[2]
    end
    if status(co) == "dead" then
      return unpack(results, 1, results.n)
    end
    results = pack(resume(co, yield(unpack(results, 2, results.n))))
  end
end

local lev = {}
for name, fn in pairs(native) do
  lev[name] = fn
end
lev.adopt = nil

-- The failures of the spawned coroutines of the run under way, first first.
local failures

function lev.spawn(fn, ...)
  local run = failures
  return native.spawn(function(...)
    local outcome = pack(drive(fn, ...))
    if not outcome[1] and run and not run.first then
      run.first = { outcome[2] }
    end
  end, ...)
end

function lev.run(fn, ...)
  if native.running() then
    -- Refused there, with the reason.
    return native.run(fn, ...)
  end
  local run = {}
  failures = run
  local ok, outcome = pcall(native.run, function(...)
    local outcome = pack(drive(fn, ...))
    if not outcome[1] then
      -- fn failed: the run ends now (spawned coroutines are abandoned).
      run.failed = outcome
      error("lev.run: fn failed", 0)
    end
    return outcome
  end, ...)
  failures = nil
  if run.failed then
    error(run.failed[2], 0)
  end
  if not ok then
    error(outcome, 0)
  end
  if run.first then
    error(run.first[1], 0)
  end
  return unpack(outcome, 2, outcome.n)
end

return lev
