-- Record (server time, last entry ID of the partition) so entry ages can be bounded later.
-- KEYS[1] = partition stream, KEYS[2] = clock sorted set; ARGV[1] = keep checkpoints younger than ms
-- Returns {now ms, last ID or ''}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = ''
if redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then last = info[i + 1] end
  end
end
if last ~= '' and last ~= '0-0' then
  redis.call('ZADD', KEYS[2], now, now .. ':' .. last)
end
-- keep at least the newest 2 checkpoints older than the horizon, so old ages stay bounded
local horizon = now - tonumber(ARGV[1])
local older = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', horizon)
if #older > 2 then
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, #older - 3)
end
return {tostring(now), last}
