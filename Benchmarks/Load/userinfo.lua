-- enduser userInfo with valid access tokens, round-robin over this thread's tokens.
-- Args: ACCESSTOKENFILE THREADS FIRST COUNT
local common = dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")
setup, done = common.setup, common.done
local tokens, next_index
errors = 0

function init(args) tokens = common.lines(args); next_index = 0 end

function request()
  next_index = next_index % #tokens + 1
  return wrk.format("GET", "/v2/enduser/enduserapi/userInfo", { ["Authorization"] = "Bearer " .. tokens[next_index] })
end

function response(status, headers, body)
  if status ~= 200 or not body:find('"code":200,', 1, true) then errors = errors + 1 end
end
