-- One benchmark workload for wrk, described by the environment (bench/run.py sets it):
--   BENCH_METHOD, BENCH_PATH and BENCH_BODY, where "{id}" becomes an id in [BENCH_ID_MIN, BENCH_ID_MAX];
--   BENCH_TOKEN, sent as a Bearer token;
--   BENCH_ID_ORDER: "random" (the default), a random id on every request; or "sequential", each id once
--   (for pools of entries consumed by their request): the n-th request (from 0) of thread t (from 1 of
--   T) takes BENCH_ID_MIN + n * T + t - 1. A thread that runs past BENCH_ID_MAX sends nothing more to
--   the workload: it stops and is counted as "exhausted" (run.py then fails the run).
--   "{start}" and "{end}" in BENCH_BODY: a two-week window (a Monday to the Friday after next) that no other
--   request of the run gives the same id, so dated filings never pile up on the same days. The n-th
--   window an id gets from thread t is number BENCH_WINDOW_BASE + n * T + t - 1, counted in fortnights
--   from 1970-01-05 (a Monday): in the past, so none stays open.
-- At the end it prints one line, "BENCH_JSON {...}", with the counts, latency percentiles and, for the
-- sequential order, the last id handed out (run.py starts the next run of the pool after it); and the
-- windows used (run.py gives the next run the ones after them).

local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local body = os.getenv("BENCH_BODY")
local id_min = tonumber(os.getenv("BENCH_ID_MIN") or "1")
-- BENCH_ID_STEP: random ids only every so many from BENCH_ID_MIN (the managers of teams of ten).
local id_step = tonumber(os.getenv("BENCH_ID_STEP") or "1")
local id_max = tonumber(os.getenv("BENCH_ID_MAX") or "1")
local sequential = os.getenv("BENCH_ID_ORDER") == "sequential"
-- wrk starts each thread as soon as it is set up, so the count comes from run.py, not from setup().
local thread_total = tonumber(os.getenv("BENCH_THREADS") or "1")
local token = os.getenv("BENCH_TOKEN")
local window_base = tonumber(os.getenv("BENCH_WINDOW_BASE") or "0")
local dated = body ~= nil and body:find("{start}", 1, true) ~= nil

local headers = {}
if token and token ~= "" then
  headers["Authorization"] = "Bearer " .. token
end
-- BENCH_IF_NONE_MATCH: sent as If-None-Match (a calendar app's poll of a feed it holds).
local if_none_match = os.getenv("BENCH_IF_NONE_MATCH")
if if_none_match and if_none_match ~= "" then
  headers["If-None-Match"] = if_none_match
end
if body and body ~= "" then
  headers["Content-Type"] = "application/json"
else
  body = nil
end

-- In the setup and done phases (their own Lua state): every thread, to read its counters at the end.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

-- In each thread's own state.
issued = 0
last_id = 0
exhausted = 0
windows_used = 0
local windows_of = {}

function init(_args)
  math.randomseed(os.time() * 1000 + (thread_number or 0))
end

local function next_id()
  if not sequential then
    return id_min + id_step * math.random(0, math.floor((id_max - id_min) / id_step))
  end
  local id = id_min + issued * thread_total + (thread_number - 1)
  issued = issued + 1
  if id > id_max then
    return nil
  end
  last_id = id
  return id
end

local function window(id)
  local n = windows_of[id] or 0
  windows_of[id] = n + 1
  local index = window_base + n * thread_total + (thread_number - 1)
  windows_used = math.max(windows_used, index + 1)
  -- At noon: whole days apart, whatever the local time zone's clock changes.
  local first = os.time({year = 1970, month = 1, day = 5 + 14 * index, hour = 12})
  return os.date("%Y-%m-%d", first), os.date("%Y-%m-%d", first + 11 * 86400)
end

function request()
  local id = next_id()
  if id == nil then
    -- The pool is used up: stop this thread, and send a harmless request meanwhile, never a reused id.
    exhausted = exhausted + 1
    wrk.thread:stop()
    return wrk.format("GET", "/health")
  end
  id = tostring(id)
  local request_body = body and (body:gsub("{id}", id)) or nil
  if dated then
    local start, finish = window(id)
    request_body = request_body:gsub("{start}", start):gsub("{end}", finish)
  end
  return wrk.format(method, (path:gsub("{id}", id)), headers, request_body)
end

function done(summary, latency, _requests)
  local errors = summary.errors
  local highest, out_of_ids, windows = 0, 0, 0
  for _, thread in ipairs(threads) do
    highest = math.max(highest, thread:get("last_id"))
    out_of_ids = out_of_ids + thread:get("exhausted")
    windows = math.max(windows, thread:get("windows_used"))
  end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "non_2xx_3xx": %d, "connect_errors": %d, '
      .. '"read_errors": %d, "write_errors": %d, "timeouts": %d, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, '
      .. '"last_id": %d, "exhausted": %d, "windows_used": %d}\n',
    summary.requests, summary.duration, errors.status, errors.connect,
    errors.read, errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    highest, out_of_ids, windows
  ))
end
