-- Reset a sink's position in one partition (replay): set it, fence out the current owner
-- (new token, lease deleted) so it re-acquires and reads from the new position.
-- KEYS[1] = positions hash, KEYS[2] = fences hash, KEYS[3] = lease key
-- ARGV[1] = sink, ARGV[2] = entry ID ('' removes the position: read from the start)
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('DEL', KEYS[3])
return 1
