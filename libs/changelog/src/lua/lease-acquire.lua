-- Acquire the lease of (sink, partition) for an owner; a new holder gets a new fencing token.
-- KEYS[1] = lease key, KEYS[2] = fences hash of the partition
-- ARGV[1] = owner id, ARGV[2] = TTL ms, ARGV[3] = sink
-- Returns the fencing token, or false when another owner holds the lease.
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return false end
if holder == ARGV[1] then
  local token = redis.call('HGET', KEYS[2], ARGV[3])
  if token then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(token)
  end
end
local token = redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return token
