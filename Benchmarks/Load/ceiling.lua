-- The ceiling: the same response check as the Sesame scripts, against sesame-ceiling's fixed body.
local common = dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")
setup, done = common.setup, common.done
errors = 0
function response(status, headers, body)
  if status ~= 200 or not body:find('"code":200,', 1, true) then errors = errors + 1 end
end
