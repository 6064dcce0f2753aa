--[[
  Versioned write of one source row's bookkeeping record: which cache key and which group
  memberships the row's latest applied event wrote or removed. It is written after those writes,
  so a record at version V means everything event V did is already in Redis.

  KEYS[1]  row-state hash
  ARGV[1]  version (30 digits)
  ARGV[2]  cache key written or removed ('' = none)
  ARGV[3]  JSON array of [group, member] pairs
  ARGV[4]  '1' when the row is gone from the cache (delete, filtered out), else '0'
  ARGV[5]  TTL in ms of a gone record

  Returns 1 when written, 0 when a newer record is stored (stale).
]]
local stored = redis.call('HGET', KEYS[1], 'v')
if stored and stored > ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'k', ARGV[2], 'g', ARGV[3], 'd', ARGV[4])
if ARGV[4] == '1' then
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
return 1
