-- Renew the lease of (sink, partition) if the caller still holds it under the same fencing token.
-- KEYS[1] = lease key, KEYS[2] = fences hash; ARGV[1] = owner id, ARGV[2] = TTL ms, ARGV[3] = sink,
-- ARGV[4] = fencing token. Returns 1 when renewed, 0 when the lease was lost.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[2], ARGV[3]) ~= ARGV[4] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
