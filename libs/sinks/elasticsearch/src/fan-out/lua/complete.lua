-- A pass over the roots of one dirty member finished at ARGV[2]: forget the member, unless a newer
-- change marked it again meanwhile (then its pass runs again, from the start, at the newer version).
-- KEYS[1] = dirty (sorted set), KEYS[2] = causes (hash), KEYS[3] = pass cursors (hash)
-- ARGV[1] = member, ARGV[2] = the version the pass ran at. Returns 1 when forgotten.
local current = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if current and tonumber(current) == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 1
end
return 0
