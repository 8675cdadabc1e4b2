-- wrk script for factorial: POST /factorial with a fixed mix of numbers.
--
--   wrk -t1 -c4 -d20s -s factorial.lua http://127.0.0.1:8081 -- MODE PAUSE_MS
--
-- MODE
--   mix    a fixed cycle of small to large N; one request in ten sets
--          "force", so both cache hits and computations are in the mix
--   fill   a new N from 20000 up on every request (about 80 KB each), so
--          that Redis fills up to maxmemory and starts evicting
--   heavy  N = 100000 (the largest the service accepts by default), forced:
--          the worst case for CPU, memory and response size
-- PAUSE_MS is a pause each connection takes before each request (0: none).

local numbers = { 5, 20, 100, 500, 1000, 2000, 5000, 10000 }
local mode = "mix"
local pause_ms = 0
local count = 0
-- Each wrk thread has its own Lua state; "fill" keeps threads apart with
-- a per-thread offset, so that threads start at different N (a global:
-- setup() sets it inside each thread).
thread_offset = 0
local thread_counter = 0

function setup(thread)
  thread:set("thread_offset", thread_counter * 7919)
  thread_counter = thread_counter + 1
end

function init(args)
  mode = args[1] or "mix"
  pause_ms = tonumber(args[2] or "0") or 0
  if mode ~= "mix" and mode ~= "fill" and mode ~= "heavy" then
    error("mode must be mix, fill or heavy, not " .. mode)
  end
end

local function body_for(n, force)
  return string.format('{"number": %d, "force": %s}', n, force and "true" or "false")
end

function request()
  count = count + 1
  local body
  if mode == "mix" then
    body = body_for(numbers[(count % #numbers) + 1], count % 10 == 0)
  elseif mode == "fill" then
    -- FACTORIAL_MAX_N is 100000: stay well below it however long this runs.
    body = body_for(20000 + (thread_offset + count) % 80000, false)
  else
    body = body_for(100000, true)
  end
  return wrk.format("POST", "/factorial", { ["Content-Type"] = "application/json" }, body)
end

function delay()
  return pause_ms
end
