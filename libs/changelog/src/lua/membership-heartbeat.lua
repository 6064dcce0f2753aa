-- Heartbeat a worker into the membership sorted set on the server's clock, expire silent members,
-- and return the live members (sorted by name).
-- KEYS[1] = members sorted set; ARGV[1] = worker id, ARGV[2] = member TTL ms
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 10)
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
table.sort(members)
return members
