-- Claims one listed chunk of a fan-out pass for ARGV[1] ms: a chunk nobody claimed, or whose claim
-- ran out (its claimant died or stalled: the chunk is written again, a no-op for the roots already
-- written at its version). The server's clock, so every worker's claims compare on one clock.
-- KEYS[1] = chunks (hash: id -> chunk), KEYS[2] = claims (hash: id -> claimed until, ms),
-- KEYS[3] = dirty (the pending passes).
-- Returns {id, chunk} or, when no chunk can be claimed, the number of pending passes.
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local ids = redis.call('HKEYS', KEYS[1])
for _, id in ipairs(ids) do
  local claimed = redis.call('HGET', KEYS[2], id)
  if not claimed or tonumber(claimed) <= ms then
    redis.call('HSET', KEYS[2], id, ms + tonumber(ARGV[1]))
    return {id, redis.call('HGET', KEYS[1], id)}
  end
end
return redis.call('ZCARD', KEYS[3])
