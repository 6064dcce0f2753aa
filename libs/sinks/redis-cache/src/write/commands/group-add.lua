--[[
  Versioned add of one member to a query-cache group (a sorted set or a set), with an optional
  top-N cap.

  Every member's version is kept in a companion hash in the group's slot; removed members keep a
  tombstone "<version>:d" there, listed with its expiry time in a companion sorted set and pruned
  here lazily (Redis 7.0 has no per-field expiry).

  KEYS[1]  group key
  KEYS[2]  member versions hash (same slot)
  KEYS[3]  tombstone expiries sorted set (same slot)
  ARGV[1]  member
  ARGV[2]  version (30 digits, see write-value.lua)
  ARGV[3]  'zset' | 'set'
  ARGV[4]  score (zset)
  ARGV[5]  top-N limit, 0 = none (zset)
  ARGV[6]  'desc' keeps the highest scores, 'asc' the lowest
  ARGV[7]  now in ms (tombstone pruning)

  Returns 1 when written (even if the cap pushed the member straight out), 0 when stale.
]]
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[7], 'LIMIT', 0, 20)
for _, member in ipairs(expired) do
  local version = redis.call('HGET', KEYS[2], member)
  if version and string.sub(version, 31) == ':d' then
    redis.call('HDEL', KEYS[2], member)
  end
  redis.call('ZREM', KEYS[3], member)
end

local stored = redis.call('HGET', KEYS[2], ARGV[1])
if stored and string.sub(stored, 1, 30) > ARGV[2] then
  return 0
end

if ARGV[3] == 'zset' then
  redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
  local limit = tonumber(ARGV[5])
  if limit > 0 then
    if ARGV[6] == 'desc' then
      redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(limit + 1))
    else
      redis.call('ZREMRANGEBYRANK', KEYS[1], limit, -1)
    end
  end
else
  redis.call('SADD', KEYS[1], ARGV[1])
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
