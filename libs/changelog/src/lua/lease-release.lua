-- Release the lease of (sink, partition) only if the caller holds it.
-- KEYS[1] = lease key; ARGV[1] = owner id. Returns 1 when released.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
