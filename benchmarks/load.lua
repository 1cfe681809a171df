-- wrk script of benchmarks/load.py: requests from a file, answers counted, a JSON summary.
--
--   wrk -t2 -c50 -d20s -s benchmarks/load.lua http://127.0.0.1:8000 -- requests.tsv
--
-- Each line of the file is one request: method, path, Cookie header, form body, separated
-- by tabs (the last two may be empty). Every thread cycles through the lines, each from its
-- own starting point. Any answer other than 200, or the 303 of a saved form, is counted as
-- unexpected; done() prints one line "LOADJSON {...}" with the counts and the percentiles.
-- Latency is measured from sending a request to its answer, think time excluded.

local threads = {}
local counter = 1
-- LOAD_THINK_MS: a user's think time between two requests (uniform, 0.5 to 1.5 times it)
local think = tonumber(os.getenv("LOAD_THINK_MS") or "0")

if think > 0 then
  function delay()
    return math.floor(think * (0.5 + math.random()))
  end
end

function setup(thread)
  thread:set("number", #threads)
  table.insert(threads, thread)
end

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  prepared = {}
  for line in io.lines(args[1]) do
    local f = split(line)
    local headers = {}
    if f[3] ~= nil and f[3] ~= "" then headers["Cookie"] = f[3] end
    local body = nil
    if f[4] ~= nil and f[4] ~= "" then
      body = f[4]
      headers["Content-Type"] = "application/x-www-form-urlencoded"
    end
    table.insert(prepared, wrk.format(f[1], f[2], headers, body))
  end
  counter = (number * 7919) % #prepared + 1
  statuses = {}
  unexpected = 0
end

function request()
  local r = prepared[counter]
  counter = counter % #prepared + 1
  return r
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status ~= 200 and status ~= 303 then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  local merged = {}
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    for code, count in pairs(thread:get("statuses")) do
      merged[code] = (merged[code] or 0) + count
    end
  end
  local codes = {}
  for code, count in pairs(merged) do
    table.insert(codes, string.format('"%d": %d', code, count))
  end
  local e = summary.errors
  io.write(string.format(
    'LOADJSON {"requests": %d, "duration_us": %d, "socket_errors": %d, "unexpected": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"statuses": {%s}, "p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, '
      .. '"mean_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, bad,
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(codes, ", "),
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.mean, latency.max))
end
