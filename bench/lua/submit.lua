-- POST quiz submissions, each to a different open attempt (bench/run.py sets):
--   BENCH_POOL     a file of lines "cookie<TAB>attempt id<TAB>form body", one per open attempt
--   BENCH_ACK_DIR  where each thread writes the attempt ids the server answered
--                  with the redirect to the result (the submission was taken)
-- An answer is as expected when it is a 302 to /quiz-attempts/<id>/result.
-- Thread n of N takes the lines n, n+N, ...; after its last line it starts
-- again (counted in "reused": those posts find the attempt already submitted).
local threads = {}
local count = 0

function setup(thread)
  thread:set("id", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  unexpected = 0
  reused = 0
  local n = tonumber(wrk.thread:get("id"))
  local total = tonumber(os.getenv("BENCH_THREADS"))
  requests_pool = {}
  local index = 0
  for line in io.lines(os.getenv("BENCH_POOL")) do
    if index % total == n then
      local cookie, attempt, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      table.insert(requests_pool, wrk.format("POST", "/quiz-attempts/" .. attempt,
        {["Cookie"] = cookie, ["Content-Type"] = "application/x-www-form-urlencoded"}, body))
    end
    index = index + 1
  end
  position = 0
  wraps = 0
  ack = io.open(os.getenv("BENCH_ACK_DIR") .. "/ack-" .. n .. ".txt", "w")
  ack:setvbuf("line")
end

function request()
  position = position + 1
  if position > #requests_pool then
    position = 1
    wraps = wraps + 1
  end
  if wraps > 0 then reused = reused + 1 end
  return requests_pool[position]
end

function response(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  local attempt = location:match("/quiz%-attempts/(%d+)/result")
  if status == 302 and attempt then
    ack:write(attempt, "\n")
  else
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local bad, again = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("unexpected") or 0)
    again = again + (thread:get("reused") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "unexpected": %d, "reused": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "timeouts": %d, "status_errors": %d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, bad, again, e.connect, e.read, e.write, e.timeout, e.status))
end
