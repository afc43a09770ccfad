-- wrk script of scripts/bench-ingest: POSTs NDJSON batches, incidents or GPS fixes, each
-- request new data (fixes with times that keep moving forward, incidents without ids so
-- the server numbers them), and appends one result line to a file when done.
--
--   BENCH_MODE=incidents|positions BENCH_BATCH=100 BENCH_WORKERS=workers.txt \
--   BENCH_SPREAD=gateway|device (positions: fixes of many workers, or one worker's track) \
--   BENCH_BBOX="lon0,lat0,lon1,lat1" BENCH_OUT=results.tsv BENCH_TAG='...' \
--     wrk -t1 -c4 -d20s -s ingest.lua http://127.0.0.1:PORT
--
-- The result line: tag, requests, seconds, requests/s, items/s, p50 ms, p99 ms, errors,
-- non-2xx.

local thread_count = 0
function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

local mode, batch, workers, bbox, clock = nil, 100, {}, {}, 0
local categories = { "dispute", "public_security", "fire_hazard", "safety_hazard", "environment", "petition", "other" }

function init(args)
  mode = os.getenv("BENCH_MODE") or "incidents"
  batch = tonumber(os.getenv("BENCH_BATCH") or "100")
  for v in string.gmatch(os.getenv("BENCH_BBOX") or "109.5,28.1,109.9,28.5", "[^,]+") do
    bbox[#bbox + 1] = tonumber(v)
  end
  if mode == "positions" then
    for line in io.lines(os.getenv("BENCH_WORKERS")) do
      if line ~= "" then workers[#workers + 1] = line end
    end
  end
  -- Fix times start at a round base per thread and only go forward.
  clock = 1770000000 + (thread_index or 0) * 100000000
  math.randomseed(7 + (thread_index or 0))
end

local function lonlat()
  return bbox[1] + math.random() * (bbox[3] - bbox[1]), bbox[2] + math.random() * (bbox[4] - bbox[2])
end

-- Writes need a signed-in user: the bench script exports an admin's token.
auth = "Bearer " .. (os.getenv("ONEMAP_TOKEN") or "")

function request()
  local lines = {}
  if mode == "positions" then
    -- gateway: one fix each from many workers; device: one worker's buffered track.
    local device = os.getenv("BENCH_SPREAD") == "device"
    local one = workers[math.random(#workers)]
    clock = clock + (device and batch or 1)
    for k = 1, batch do
      local w = device and one or workers[math.random(#workers)]
      local x, y = lonlat()
      local t = device and (clock - batch + k) or clock
      lines[k] = string.format('{"worker":"%s","time":%d,"lon":%.6f,"lat":%.6f}', w, t, x, y)
    end
    return wrk.format("POST", "/api/positions", { ["Content-Type"] = "application/x-ndjson", ["Authorization"] = auth }, table.concat(lines, "\n"))
  end
  for k = 1, batch do
    local x, y = lonlat()
    lines[k] = string.format(
      '{"type":"Feature","geometry":{"type":"Point","coordinates":[%.6f,%.6f]},"properties":{"category":"%s"}}',
      x, y, categories[math.random(#categories)])
  end
  return wrk.format("POST", "/api/incidents", { ["Content-Type"] = "application/x-ndjson", ["Authorization"] = auth }, table.concat(lines, "\n"))
end

function done(summary, latency, requests)
  -- done() runs in its own Lua state: read the batch size again.
  local batch = tonumber(os.getenv("BENCH_BATCH") or "100")
  local secs = summary.duration / 1e6
  local e = summary.errors
  local line = string.format(
    "%s\t%d\t%.2f\t%.1f\t%.0f\t%.3f\t%.3f\t%d\t%d\n",
    os.getenv("BENCH_TAG") or "",
    summary.requests, secs, summary.requests / secs, summary.requests * batch / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status)
  local f = assert(io.open(os.getenv("BENCH_OUT"), "a"))
  f:write(line)
  f:close()
  io.write(line)
end
