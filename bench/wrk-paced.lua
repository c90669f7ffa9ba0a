-- wrk-report.lua plus pacing: after every answer each connection pauses for a random time, exponentially distributed
-- with the given mean in milliseconds, before it sends its next request. The connections then behave like
-- independent clients (pods), the load is a fixed offered rate of about connections x 1000 / mean, below saturation,
-- and the requests do not arrive in lockstep (a fixed pause makes the connections fall into step: all 50 arrive
-- together and the last waits for the 49 before it, so the p99 measures the burst, not an answer).
-- wrk measures each request's latency from when it is written, so the pause is not counted. The random sequence is
-- the same in every run (LuaJIT's fixed seed): both targets get the same pauses.
-- Used by load-generator.ts: wrk -s bench/wrk-paced.lua <url> -- <mean ms>
local dir = debug.getinfo(1, 'S').source:match('^@(.*/)') or './'
dofile(dir .. 'wrk-report.lua')

local meanMs = 0
init = function(args)
  meanMs = tonumber(args[1]) or error('wrk-paced.lua: pass the mean pause in milliseconds after --')
end
delay = function()
  -- wrk takes whole milliseconds (it truncates).
  return -meanMs * math.log(1 - math.random())
end
