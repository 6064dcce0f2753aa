-- Marks lookup keys dirty: their roots need one re-index pass with the lookup's latest state.
-- KEYS[1] = dirty (sorted set: member = condition, score = highest version marked)
-- KEYS[2] = causes (hash: member = the encoded event of that highest version, for dead letters)
-- ARGV = member, version, cause, member, version, cause, ...
-- A member already marked at an equal or higher version is left as it is: many changes of one
-- lookup row before its pass runs cost one pass, at the newest version.
local marked = 0
for i = 1, #ARGV, 3 do
  local member = ARGV[i]
  local version = tonumber(ARGV[i + 1])
  local current = redis.call('ZSCORE', KEYS[1], member)
  if not current or tonumber(current) < version then
    redis.call('ZADD', KEYS[1], version, member)
    redis.call('HSET', KEYS[2], member, ARGV[i + 2])
    marked = marked + 1
  end
end
return marked
