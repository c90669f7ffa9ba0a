-- wrk-report.lua plus requests that cycle through the paths given after `--` (each request the next path, with the
-- headers given by -H). The bench uses it to send one caller's requests through more distinct paths than the
-- server's per-caller memo of answers keeps, so that every request is decided afresh.
-- Used by load-generator.ts: wrk -s bench/wrk-paths.lua <url> -- <path> <path> ...
local dir = debug.getinfo(1, 'S').source:match('^@(.*/)') or './'
dofile(dir .. 'wrk-report.lua')

local requests = {}
local n = 0
local i = 0
init = function(args)
  for _, path in ipairs(args) do
    n = n + 1
    requests[n] = wrk.format(nil, path)
  end
  if n == 0 then error('wrk-paths.lua: pass the paths after --') end
end
request = function()
  i = i % n + 1
  return requests[i]
end
