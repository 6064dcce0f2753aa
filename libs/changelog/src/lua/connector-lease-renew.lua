-- Renew the connector lease only if the caller still holds it with the same fencing token.
-- KEYS[1] lease key, KEYS[2] fencing-token counter. ARGV[1] owner id, ARGV[2] TTL in ms, ARGV[3] token.
-- Returns 1 when renewed, 0 when the lease was lost (expired or taken over): stop streaming at once.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if tonumber(redis.call('GET', KEYS[2]) or '0') ~= tonumber(ARGV[3]) then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
