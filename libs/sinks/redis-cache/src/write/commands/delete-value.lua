--[[
  Versioned delete of one cached value: removes the value and leaves a tombstone "<version>:d" in
  its version key for ARGV[2] ms, so a late, older write cannot bring the key back.

  KEYS[1]  value key
  KEYS[2]  version key (same slot)
  ARGV[1]  version (30 digits, see write-value.lua)
  ARGV[2]  tombstone TTL in ms (> 0)

  Returns 1 when deleted, 0 when a newer version is stored (stale).
]]
local stored = redis.call('GET', KEYS[2])
if stored and string.sub(stored, 1, 30) > ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[1] .. ':d', 'PX', ARGV[2])
return 1
