-- The drainer lock of one sink's fan-out passes (one drainer at a time; two would only waste work:
-- every write is versioned). KEYS[1] = lock, ARGV[1] = owner, ARGV[2] = TTL in ms.
-- Takes the lock when free, renews it when held by ARGV[1]. Returns 1 when held by ARGV[1].
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
