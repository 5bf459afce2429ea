-- Shared by every load script: per-thread token lists, error counting, and one RESULT line.
--
-- wrk runs one Lua state per thread; setup() runs in the main state once per thread, init()
-- and request()/response() in the thread's own state, done() in the main state at the end.
-- Script arguments (after `--`): FILE THREADS FIRST COUNT — the lines FIRST+1 .. FIRST+COUNT
-- of FILE are dealt round-robin to the threads.
local common = {}

local threads = {}

function common.setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

-- The lines of args' file that belong to this thread.
function common.lines(args)
  local path, nthreads = args[1], tonumber(args[2])
  local first, count = tonumber(args[3] or "0"), tonumber(args[4] or "1000000000")
  local mine, n = {}, 0
  local file = assert(io.open(path, "r"), "cannot open " .. tostring(path))
  for line in file:lines() do
    if n >= first and n < first + count and line ~= "" and (n - first) % nthreads == thread_id then
      table.insert(mine, line)
    end
    n = n + 1
  end
  file:close()
  return mine
end

-- A FIFO of tokens: each token is taken once; the successor a response brings goes to the back.
function common.queue(items)
  local q = { items = {}, head = 1, tail = 0 }
  for _, item in ipairs(items) do q.tail = q.tail + 1; q.items[q.tail] = item end
  function q.pop()
    if q.head > q.tail then return nil end
    local item = q.items[q.head]
    q.items[q.head] = nil
    q.head = q.head + 1
    return item
  end
  function q.push(item) q.tail = q.tail + 1; q.items[q.tail] = item end
  return q
end

-- Requests/s, latency percentiles (ms) and errors: responses the script counted as failures
-- (non-200 status or an error envelope) plus wrk's own socket errors and timeouts.
function common.done(summary, latency, requests)
  local errors = 0
  for _, thread in ipairs(threads) do errors = errors + (thread:get("errors") or 0) end
  local e = summary.errors
  errors = errors + e.connect + e.read + e.write + e.timeout
  io.write(string.format("RESULT requests=%d rps=%.1f p50=%.3f p99=%.3f p999=%.3f errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, errors))
end

return common
