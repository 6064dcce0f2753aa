--[[
  Versioned removal of one member from a query-cache group; leaves a member tombstone
  "<version>:d" (expiring after ARGV[4] ms, pruned lazily) so a late, older add cannot bring the
  member back. See group-add.lua for the companion keys.

  KEYS[1]  group key
  KEYS[2]  member versions hash (same slot)
  KEYS[3]  tombstone expiries sorted set (same slot)
  ARGV[1]  member
  ARGV[2]  version (30 digits)
  ARGV[3]  tombstone TTL in ms
  ARGV[4]  now in ms

  The group's type decides ZREM or SREM, so a row leaves a group even if the query's kind changed.

  Returns 1 when removed (or tombstoned), 0 when stale.
]]
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[4], 'LIMIT', 0, 20)
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

local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'zset' then
  redis.call('ZREM', KEYS[1], ARGV[1])
elseif kind == 'set' then
  redis.call('SREM', KEYS[1], ARGV[1])
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ':d')
redis.call('ZADD', KEYS[3], tonumber(ARGV[4]) + tonumber(ARGV[3]), ARGV[1])
return 1
