-- GET one page over and over (bench/run.py sets the environment):
--   BENCH_PATH           the path to request
--   BENCH_COOKIE         a session cookie ("session=..."), for a signed-in person
--   BENCH_IF_NONE_MATCH  an ETag, to measure revalidation (expect 304)
--   BENCH_EXPECT         the status every answer should have (200 unless set)
-- Prints one line "BENCH_RESULT {json}" at the end.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  unexpected = 0
  local headers = {}
  local cookie = os.getenv("BENCH_COOKIE")
  if cookie and cookie ~= "" then headers["Cookie"] = cookie end
  local etag = os.getenv("BENCH_IF_NONE_MATCH")
  if etag and etag ~= "" then headers["If-None-Match"] = etag end
  expect = tonumber(os.getenv("BENCH_EXPECT") or "200")
  req = wrk.format("GET", os.getenv("BENCH_PATH") or "/", headers)
end

function request()
  return req
end

function response(status, headers, body)
  if status ~= expect then unexpected = unexpected + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + (thread:get("unexpected") or 0) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "unexpected": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
    '"timeouts": %d, "status_errors": %d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, bad, e.connect, e.read, e.write, e.timeout, e.status))
end
