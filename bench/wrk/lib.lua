-- What the benchmark's wrk scripts share: the request from the environment,
-- a microsecond clock, per-thread latency samples and one JSON result line.
--
-- Every script reads its settings from the environment (bench/wrk.py sets
-- them), so one command line shape serves every target:
--   BENCH_METHOD    GET (default) or POST
--   BENCH_BODY      request body; sent with Content-Type: application/json
--   BENCH_RESULT    file the JSON result is written to (stdout otherwise)
--   BENCH_SAMPLES   file the per-request samples are written to (optional)

local ffi = require("ffi")

ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *ts);
int getpid(void);
int kill(int pid, int sig);
]]

local M = {}
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec")

-- Microseconds on the monotonic clock, the one wrk itself uses.
function M.now_us()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
    return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

-- Ends the run early: wrk's main thread sleeps for the whole -d duration
-- and only a SIGINT wakes it (a process-directed signal goes to the main
-- thread first); it then stops every thread and calls done() as usual.
function M.finish_run()
    wrk.thread:stop()
    ffi.C.kill(ffi.C.getpid(), 2)
end

-- The request every connection sends, from BENCH_METHOD and BENCH_BODY.
-- Bodies (this one, or those of sampled.lua's BENCH_MIX_FILE) are JSON.
function M.setup_request()
    local method = os.getenv("BENCH_METHOD") or "GET"
    local body = os.getenv("BENCH_BODY")
    local mix = os.getenv("BENCH_MIX_FILE")

    wrk.method = method
    if body ~= nil and body ~= "" then
        wrk.body = body
    end
    if (body ~= nil and body ~= "") or (mix ~= nil and mix ~= "") then
        wrk.headers["Content-Type"] = "application/json"
    end
end

-- Threads, kept by setup() so done() can read what each one gathered.
M.threads = {}

function M.setup(thread)
    local index = #M.threads
    thread:set("thread_index", index)
    table.insert(M.threads, thread)
end

local function json_number(x)
    if x ~= x or x == math.huge or x == -math.huge then
        return "null"
    end
    return string.format("%.6g", x)
end

-- Writes wrk's own summary and latency percentiles as one JSON object.
function M.report(summary, latency, extra)
    local e = summary.errors
    local parts = {
        '"requests":' .. summary.requests,
        '"duration_us":' .. summary.duration,
        '"bytes":' .. summary.bytes,
        '"errors":{"connect":' .. e.connect .. ',"read":' .. e.read .. ',"write":' .. e.write ..
            ',"status":' .. e.status .. ',"timeout":' .. e.timeout .. '}',
        '"latency_us":{"mean":' .. json_number(latency.mean) .. ',"max":' ..
            json_number(latency.max) .. ',"p50":' .. json_number(latency:percentile(50)) ..
            ',"p90":' .. json_number(latency:percentile(90)) .. ',"p99":' ..
            json_number(latency:percentile(99)) .. ',"p999":' ..
            json_number(latency:percentile(99.9)) .. '}',
    }
    for key, value in pairs(extra or {}) do
        table.insert(parts, '"' .. key .. '":' .. value)
    end
    local text = "{" .. table.concat(parts, ",") .. "}\n"
    local path = os.getenv("BENCH_RESULT")
    if path ~= nil and path ~= "" then
        local f = assert(io.open(path, "w"))
        f:write(text)
        f:close()
    else
        io.write(text)
    end
end

-- Writes every thread's samples (the table named `name` in each thread, a
-- flat list of numbers, `width` per request) one request per line.
function M.write_samples(name, width)
    local path = os.getenv("BENCH_SAMPLES")
    if path == nil or path == "" then
        return
    end
    local f = assert(io.open(path, "w"))
    for _, thread in ipairs(M.threads) do
        local samples = thread:get(name) or {}
        for i = 1, #samples, width do
            local row = {}
            for j = 0, width - 1 do
                row[#row + 1] = string.format("%.1f", samples[i + j])
            end
            f:write(table.concat(row, " "), "\n")
        end
    end
    f:close()
end

return M
