--[[
  Compare-and-set of one cached value on its source version.

  A version is the event's change-log position as 30 digits (commit LSN zero-padded to 20, then the
  sequence within the transaction zero-padded to 10), so plain string comparison is log order. The
  version lives in a companion key in the same hash slot as the value (see slots.ts): a reader's
  GET of the value key returns only the document.

  Writes when no version is stored or the stored one is not newer (an equal version is the same
  event redelivered: rewriting it is idempotent and lets a replay refresh a changed projection).
  A stored tombstone ("<version>:d") guards exactly like a live version.

  KEYS[1]  value key
  KEYS[2]  version key (same slot)
  ARGV[1]  version (30 digits)
  ARGV[2]  'json' | 'hash'
  ARGV[3]  value TTL in ms, 0 = none
  ARGV[4]  version-key TTL in ms, 0 = none
  ARGV[5]  json: the document; hash: field1, value1, field2, value2, ...

  Returns 1 when written, 0 when a newer version is stored (stale).
]]
local stored = redis.call('GET', KEYS[2])
if stored and string.sub(stored, 1, 30) > ARGV[1] then
  return 0
end

local ttl = tonumber(ARGV[3])
if ARGV[2] == 'json' then
  if ttl > 0 then
    redis.call('SET', KEYS[1], ARGV[5], 'PX', ttl)
  else
    redis.call('SET', KEYS[1], ARGV[5])
  end
else
  redis.call('DEL', KEYS[1])
  local last = #ARGV
  local first = 5
  while first <= last do
    local upto = math.min(first + 199, last)
    redis.call('HSET', KEYS[1], unpack(ARGV, first, upto))
    first = upto + 1
  end
  if ttl > 0 and last >= 5 then
    redis.call('PEXPIRE', KEYS[1], ttl)
  end
end

local versionTtl = tonumber(ARGV[4])
if versionTtl > 0 then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', versionTtl)
else
  redis.call('SET', KEYS[2], ARGV[1])
end
return 1
