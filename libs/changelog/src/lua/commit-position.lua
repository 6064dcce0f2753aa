-- Commit a sink's position in one partition, fenced and monotonic (the fencing rule).
-- KEYS[1] = fences hash of the partition, KEYS[2] = positions hash of the partition
-- ARGV[1] = sink, ARGV[2] = fencing token of the committing owner, ARGV[3] = entry ID to commit
-- Returns {'OK', id} | {'KEPT', current} (id not above the stored one: positions never go back)
--       | {'FENCED', current token} (a newer owner holds the partition: the commit is refused).
local function cmp_decimal(a, b)
  if #a ~= #b then return #a < #b and -1 or 1 end
  if a == b then return 0 end
  return a < b and -1 or 1
end
local function cmp_id(a, b)
  local al, as = string.match(a, '^(%d+)-(%d+)$')
  local bl, bs = string.match(b, '^(%d+)-(%d+)$')
  local c = cmp_decimal(al, bl)
  if c ~= 0 then return c end
  return cmp_decimal(as, bs)
end

local token = redis.call('HGET', KEYS[1], ARGV[1])
if token ~= ARGV[2] then return {'FENCED', token or ''} end
local current = redis.call('HGET', KEYS[2], ARGV[1])
if current and cmp_id(ARGV[3], current) <= 0 then return {'KEPT', current} end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return {'OK', ARGV[3]}
