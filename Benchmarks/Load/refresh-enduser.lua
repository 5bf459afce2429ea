-- Chained enduser refreshes: every token is presented once, and the successor its answer
-- carries joins the back of this thread's queue. A connection has one request in flight, so a
-- token in the queue is never in flight: every refresh presents the current token of its
-- session. A failed refresh loses its chain (and counts as an error).
-- Args: TOKENFILE THREADS FIRST COUNT
local common = dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")
setup, done = common.setup, common.done
local queue
errors = 0

function init(args) queue = common.queue(common.lines(args)) end

local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
function request()
  local token = queue.pop() or "exhausted"
  return wrk.format("PUT", "/v2/enduser/enduserapi/refreshToken", headers, "refreshToken=" .. token)
end

function response(status, headers, body)
  local successor = status == 200 and body:find('"code":200,', 1, true)
    and body:match('"refreshToken":{[^}]-"token":"Bearer ([%w_%-]+)"')
  if successor then queue.push(successor) else errors = errors + 1 end
end
