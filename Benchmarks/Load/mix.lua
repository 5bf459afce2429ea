-- A mix: 1 request in 200 is a password login; of the others, 3 in 5 are chained refreshes and
-- 2 in 5 userInfo calls.
-- Successors of refreshes (and first tokens of logins) join the refresh queue.
-- Args: REFRESHFILE THREADS FIRST COUNT ACCESSFILE LOGINFILE
local common = dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")
setup, done = common.setup, common.done
local queue, access, users
local n = 0
errors = 0

function init(args)
  queue = common.queue(common.lines(args))
  access = common.lines({ args[5], args[2] })
  users = common.lines({ args[6], args[2] })
end

local form = { ["Content-Type"] = "application/x-www-form-urlencoded" }
function request()
  n = n + 1
  if n % 200 == 0 then
    local email, signature = users[(n / 200) % #users + 1]:match("^(%S+) (%S+)$")
    return wrk.format("POST", "/v2/enduser/enduserapi/emailPwdLogin", form,
      "email=" .. email:gsub("@", "%%40") .. "&pwd=bench-pass-1&userDomain=default&signature=" .. signature)
  elseif n % 5 < 3 then
    return wrk.format("PUT", "/v2/enduser/enduserapi/refreshToken", form, "refreshToken=" .. (queue.pop() or "exhausted"))
  else
    return wrk.format("GET", "/v2/enduser/enduserapi/userInfo", { ["Authorization"] = "Bearer " .. access[n % #access + 1] })
  end
end

function response(status, headers, body)
  if status ~= 200 or not body:find('"code":200,', 1, true) then errors = errors + 1; return end
  local successor = body:match('"refreshToken":{[^}]-"token":"Bearer ([%w_%-]+)"')
  if successor then queue.push(successor) end
end
