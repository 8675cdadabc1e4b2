-- Closed loop: every connection sends its next request as soon as the last
-- answer is in. This measures saturation throughput. No response() callback,
-- so wrk does not hand answers to Lua and stays as cheap as it can be.
--
--   BENCH_METHOD, BENCH_BODY, BENCH_RESULT   see lib.lua

local lib = require("lib")

lib.setup_request()
setup = lib.setup

function done(summary, latency, requests)
    lib.report(summary, latency)
end
