-- One benchmark workload for wrk, described by the environment (bench/run.py sets it):
--   BENCH_METHOD, BENCH_PATH and BENCH_BODY, where "{id}" becomes a random id in
--   [BENCH_ID_MIN, BENCH_ID_MAX] on every request; BENCH_TOKEN, sent as a Bearer token.
-- At the end it prints one line, "BENCH_JSON {...}", with the counts and latency percentiles.

local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local body = os.getenv("BENCH_BODY")
local id_min = tonumber(os.getenv("BENCH_ID_MIN") or "1")
local id_max = tonumber(os.getenv("BENCH_ID_MAX") or "1")
local token = os.getenv("BENCH_TOKEN")

local headers = {}
if token and token ~= "" then
  headers["Authorization"] = "Bearer " .. token
end
if body and body ~= "" then
  headers["Content-Type"] = "application/json"
else
  body = nil
end

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(_args)
  -- Each wrk thread has its own Lua state: seed each one differently.
  math.randomseed(os.time() * 1000 + (thread_number or 0))
end

function request()
  local id = tostring(math.random(id_min, id_max))
  local request_body = body and (body:gsub("{id}", id)) or nil
  return wrk.format(method, (path:gsub("{id}", id)), headers, request_body)
end

function done(summary, latency, _requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "non_2xx_3xx": %d, "connect_errors": %d, '
      .. '"read_errors": %d, "write_errors": %d, "timeouts": %d, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, errors.status, errors.connect,
    errors.read, errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean
  ))
end
