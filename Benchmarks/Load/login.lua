-- enduser password logins (emailPwdLogin, signed), round-robin over this thread's users.
-- Args: LOGINFILE THREADS FIRST COUNT; each line is "EMAIL SIGNATURE".
local common = dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")
setup, done = common.setup, common.done
local users, next_index
errors = 0
local password = "bench-pass-1"

function init(args) users = common.lines(args); next_index = 0 end

local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
function request()
  next_index = next_index % #users + 1
  local email, signature = users[next_index]:match("^(%S+) (%S+)$")
  local body = "email=" .. email:gsub("@", "%%40") .. "&pwd=" .. password .. "&userDomain=default&signature=" .. signature
  return wrk.format("POST", "/v2/enduser/enduserapi/emailPwdLogin", headers, body)
end

function response(status, headers, body)
  if status ~= 200 or not body:find('"code":200,', 1, true) then errors = errors + 1 end
end
