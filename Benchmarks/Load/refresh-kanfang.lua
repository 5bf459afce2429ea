-- Chained kanfang refreshes (RefreshToken with the refresh token as Authorization), chained
-- like refresh-enduser.lua. Args: TOKENFILE THREADS FIRST COUNT
local common = dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")
setup, done = common.setup, common.done
local queue
errors = 0

function init(args) queue = common.queue(common.lines(args)) end

function request()
  local token = queue.pop() or "exhausted"
  return wrk.format("GET", "/v2/Authorization/RefreshToken", { ["Authorization"] = token })
end

function response(status, headers, body)
  local successor = status == 200 and body:find('"state":200}', 1, true) and body:match('"refreshToken":"([%w_%-]+)"')
  if successor then queue.push(successor) else errors = errors + 1 end
end
