-- wrk script of scripts/bench-tiles: cycles through a fixed list of request paths and
-- appends one tab-separated result line to a file when done.
--
--   BENCH_LIST=paths.txt BENCH_OUT=results.tsv BENCH_TAG='server<TAB>...' \
--     wrk -t2 -c16 -d5s --timeout 60s -s cycle.lua http://127.0.0.1:PORT
--
-- Each thread starts at its own offset in the list so that concurrent connections ask for
-- different tiles, as map clients do. The result line: tag, requests, seconds, requests/s,
-- p50 ms, p90 ms, p99 ms, max ms, errors (connect+read+write+timeout), non-2xx/3xx.

local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

local paths = {}
local next_index = 1

function init(args)
  for line in io.lines(os.getenv("BENCH_LIST")) do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
  if #paths == 0 then
    error("empty tile list " .. tostring(os.getenv("BENCH_LIST")))
  end
  -- Threads spread evenly over the list (thread_index set by setup, 0-based).
  local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
  next_index = math.floor(#paths * (thread_index or 0) / threads) % #paths + 1
end

-- BENCH_AUTH (optional): an Authorization header value, for a signed-in (scoped) user.
local auth = os.getenv("BENCH_AUTH")

function request()
  local path = paths[next_index]
  next_index = next_index % #paths + 1
  if auth and auth ~= "" then
    return wrk.format("GET", path, { ["Authorization"] = auth })
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  local line = string.format(
    "%s\t%d\t%.2f\t%.1f\t%.3f\t%.3f\t%.3f\t%.3f\t%d\t%d\n",
    os.getenv("BENCH_TAG") or "",
    summary.requests,
    secs,
    summary.requests / secs,
    latency:percentile(50) / 1000,
    latency:percentile(90) / 1000,
    latency:percentile(99) / 1000,
    latency.max / 1000,
    e.connect + e.read + e.write + e.timeout,
    e.status
  )
  local f = assert(io.open(os.getenv("BENCH_OUT"), "a"))
  f:write(line)
  f:close()
  io.write(line)
end
