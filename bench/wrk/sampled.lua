-- Records every request's latency, optionally at a fixed offered rate.
--
-- bench/wrk.py runs it with one connection per thread (-t N -c N), so each
-- Lua state here drives exactly one connection and knows which request is
-- in flight.
--
--   BENCH_RATE         requests per second over all connections; 0 or unset:
--                      closed loop (each request right after the last answer)
--   BENCH_CONNECTIONS  the connection count given to wrk (to share the rate)
--   BENCH_COUNT        end the run after this many answers on a connection
--                      (optional; exact with one connection)
--   BENCH_MIX_FILE     request bodies, one per line, sent in turn; lines that
--                      start with # are comments (optional)
--   BENCH_METHOD, BENCH_BODY, BENCH_RESULT, BENCH_SAMPLES   see lib.lua
--
-- Pacing and coordinated omission: wrk's delay() holds a connection before
-- its next request, and each connection has its own schedule of send times
-- (slots) at rate / connections. A connection still waiting for an answer
-- when its next slot comes cannot send then; a closed-loop tool would count
-- the late request's latency from when it finally went out, hiding the wait
-- (coordinated omission). Here such a request's latency is counted from its
-- slot. A request whose connection was idle at its slot is counted from
-- when it was sent, so the timer's own millisecond granularity adds nothing.
-- Samples are "corrected raw ok" in microseconds, one line per request.

local lib = require("lib")

lib.setup_request()
setup = lib.setup

local rate = tonumber(os.getenv("BENCH_RATE") or "0") or 0
local connections = tonumber(os.getenv("BENCH_CONNECTIONS") or "1") or 1
local count = tonumber(os.getenv("BENCH_COUNT") or "0") or 0
local mix_file = os.getenv("BENCH_MIX_FILE")

-- Per-thread (per-connection) state; samples is read back by done().
samples = {}
local answered = 0
local send_us = 0
local held_since = nil
local next_slot = nil
local interval_us = 0
local bodies = nil
local next_body = 1

function init(args)
    if rate > 0 then
        interval_us = 1000000 * connections / rate
        -- Connections start spread over one interval, not all at once.
        next_slot = lib.now_us() + interval_us * (thread_index or 0) / connections
    end
    if mix_file ~= nil and mix_file ~= "" then
        bodies = {}
        for line in io.lines(mix_file) do
            if line ~= "" and line:sub(1, 1) ~= "#" then
                bodies[#bodies + 1] = line
            end
        end
        next_body = ((thread_index or 0) % #bodies) + 1
    end
end

if rate > 0 then
    function delay()
        local now = lib.now_us()
        local slot = next_slot

        next_slot = next_slot + interval_us
        if slot < now then
            -- The last answer came after this slot: the wait counts.
            held_since = slot
            return 0
        end
        held_since = nil
        return math.floor((slot - now) / 1000)
    end
end

function request()
    local body = nil

    if bodies ~= nil then
        body = bodies[next_body]
        next_body = next_body % #bodies + 1
    end
    send_us = lib.now_us()
    return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
    local now = lib.now_us()
    local raw = now - send_us
    local corrected = raw

    if held_since ~= nil then
        corrected = now - held_since
    end
    local n = #samples
    samples[n + 1] = corrected
    samples[n + 2] = raw
    samples[n + 3] = (status >= 200 and status < 300) and 1 or 0
    answered = answered + 1
    if count > 0 and answered >= count then
        lib.finish_run()
    end
end

function done(summary, latency, requests)
    lib.write_samples("samples", 3)
    lib.report(summary, latency)
end
