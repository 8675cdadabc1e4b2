-- wrk script for foo: GET /foo, optionally paced.
--
--   wrk -t1 -c8 -d20s -s foo.lua http://127.0.0.1:8080 -- 10
--
-- The argument after -- is a pause in milliseconds that each connection
-- takes before each request (0 or absent: as fast as the answers come), so
-- that a number of connections gives a roughly fixed request rate instead
-- of whatever saturates the machine.

local pause_ms = 0

function init(args)
  pause_ms = tonumber(args[1] or "0") or 0
end

function request()
  return wrk.format("GET", "/foo")
end

function delay()
  return pause_ms
end
