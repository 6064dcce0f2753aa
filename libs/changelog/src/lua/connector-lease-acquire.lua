-- Acquire (or keep) the connector lease of one slot.
-- KEYS[1] lease key, KEYS[2] fencing-token counter. ARGV[1] owner id, ARGV[2] TTL in ms.
-- Returns the fencing token when the caller holds the lease afterwards (a new token, INCR'd, on every
-- fresh acquisition; the current token when it already held it), or 0 when another owner holds it.
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(redis.call('GET', KEYS[2]) or '0')
end
if holder then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('INCR', KEYS[2])
