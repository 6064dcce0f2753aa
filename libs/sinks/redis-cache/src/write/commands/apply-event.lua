--[[
  Everything one change event does to the cache, in one script: the value write or removals, the
  group membership adds and removals, and the row's bookkeeping record (and the old primary key's
  record when the key changed). Each write keeps the guard of its single-purpose script
  (write-value, delete-value, group-add, group-remove, write-row-state: same rules, same companion
  keys), so replays stay idempotent.

  All or nothing: a script that fails half-way keeps its earlier writes (Redis has no rollback), so
  every key is type-checked before the first write. A key of the wrong type (WRONGTYPE, a permanent
  error: the event is dead-lettered) leaves NOTHING of the event written, so a later TRUNCATE or
  replay, which go by the row record, never meets an orphan value.

  KEYS     every key the plan names, referenced by index
  ARGV[1]  the plan, JSON:
    set  = { k, ver, format = 'json'|'hash', ttl, verTtl, payload = [..] } | absent
    del  = [ { k, ver, tombTtl } ]           value keys to remove
    rem  = [ { g, gv, gt, member, tombTtl } ] memberships to remove
    add  = [ { g, gv, gt, member, kind = 'zset'|'set', score, limit, order } ]
    row  = { k, v, ck, g, d, ttl }           the row record (v version, ck cache key, g JSON pairs, d '1' gone)
    prev = { k, v, ck, g, d, ttl } | absent  the old primary key's record, marked gone
    version, now                             the event's version (30 digits), now in ms
    unread = { pk, mustKnow } | absent       the caller did not read the row records (one round trip
                                             per event): they are read here. `pk` = the old primary
                                             key's record when the key changed; `mustKnow` = a delete
                                             whose cache key only a stored record can name.

  Returns { recorded (1 = the row record was written: applied, 0 = stale), values set, values
  deleted, members removed, members added }, or a WRONGTYPE error naming the keys, with nothing
  written. In unread mode also, with nothing written: recorded = 2 when a stored record names a place
  (cache key, membership) the plan does not cover (the caller reads the records and plans again),
  3 when a delete's cache key is unknown and no record is stored (the caller rejects the event).
]]
local plan = cjson.decode(ARGV[1])
local version = plan.version
local now = plan.now

local STRING = { string = true }
local HASH = { hash = true }
local ZSET = { zset = true }
local SET = { set = true }
local problems = {}
local function check(index, allowed, what)
  local kind = redis.call('TYPE', KEYS[index])['ok']
  if kind ~= 'none' and not allowed[kind] then
    -- companion keys hold U+0000 (slots.ts): shown as \0 so the message stays printable
    local shown = string.gsub(KEYS[index], '%z', '\\0')
    table.insert(problems, what .. ' ' .. shown .. ' holds a ' .. kind)
  end
end

if plan.set then check(plan.set.ver, STRING, 'value version key') end
for _, d in ipairs(plan.del) do check(d.ver, STRING, 'value version key') end
for _, g in ipairs(plan.rem) do
  check(g.gv, HASH, 'group versions key')
  check(g.gt, ZSET, 'group tombstones key')
end
for _, g in ipairs(plan.add) do
  check(g.g, g.kind == 'zset' and ZSET or SET, 'group key')
  check(g.gv, HASH, 'group versions key')
  check(g.gt, ZSET, 'group tombstones key')
end
check(plan.row.k, HASH, 'row record')
if plan.prev then check(plan.prev.k, HASH, 'row record') end
if plan.unread and plan.unread.pk then check(plan.unread.pk, HASH, 'row record') end
if #problems > 0 then
  return redis.error_reply('WRONGTYPE ' .. table.concat(problems, '; ') .. ' (nothing of this event was written)')
end

-- Unread mode: the row records are read now, under the same atomicity as the writes.
if plan.unread then
  local function record(index)
    if not index then return nil end
    local flat = redis.call('HGETALL', KEYS[index])
    local r = {}
    for i = 1, #flat, 2 do r[flat[i]] = flat[i + 1] end
    if not r.v then return nil end
    return { v = r.v, k = r.k or '', g = r.g or '[]', d = r.d }
  end
  local state = record(plan.row.k)
  if state and state.v > version then return { 0, 0, 0, 0, 0 } end
  if plan.unread.mustKnow and not state then return { 3, 0, 0, 0, 0 } end
  local keys, members = {}, {}
  if plan.set then keys[KEYS[plan.set.k]] = true end
  for _, d in ipairs(plan.del) do keys[KEYS[d.k]] = true end
  for _, g in ipairs(plan.rem) do members[KEYS[g.g] .. '\0' .. g.member] = true end
  for _, g in ipairs(plan.add) do members[KEYS[g.g] .. '\0' .. g.member] = true end
  -- the places a record remembers (unless it is an older tombstone or newer) must all be in the plan
  local function covered(r)
    if not r or r.v > version or (r.d == '1' and r.v ~= version) then return true end
    if r.k ~= '' and not keys[r.k] then return false end
    for _, pair in ipairs(cjson.decode(r.g)) do
      if not members[pair[1] .. '\0' .. pair[2]] then return false end
    end
    return true
  end
  local prev = record(plan.unread.pk)
  if not covered(state) or not covered(prev) then return { 2, 0, 0, 0, 0 } end
  if not plan.set and state and state.d ~= '1' then plan.row.ck = state.k end
  if prev then plan.prev = { k = plan.unread.pk, v = version, ck = prev.k, g = prev.g, d = '1', ttl = plan.row.ttl } end
end

local function newer(stored)
  return stored and string.sub(stored, 1, 30) > version
end

local function writeValue(s)
  if newer(redis.call('GET', KEYS[s.ver])) then return false end
  local ttl = tonumber(s.ttl)
  if s.format == 'json' then
    if ttl > 0 then
      redis.call('SET', KEYS[s.k], s.payload[1], 'PX', ttl)
    else
      redis.call('SET', KEYS[s.k], s.payload[1])
    end
  else
    redis.call('DEL', KEYS[s.k])
    local last = #s.payload
    local first = 1
    while first <= last do
      local upto = math.min(first + 199, last)
      redis.call('HSET', KEYS[s.k], unpack(s.payload, first, upto))
      first = upto + 1
    end
    if ttl > 0 and last >= 1 then redis.call('PEXPIRE', KEYS[s.k], ttl) end
  end
  local verTtl = tonumber(s.verTtl)
  if verTtl > 0 then
    redis.call('SET', KEYS[s.ver], version, 'PX', verTtl)
  else
    redis.call('SET', KEYS[s.ver], version)
  end
  return true
end

local function deleteValue(d)
  if newer(redis.call('GET', KEYS[d.ver])) then return false end
  redis.call('DEL', KEYS[d.k])
  redis.call('SET', KEYS[d.ver], version .. ':d', 'PX', d.tombTtl)
  return true
end

local function pruneTombstones(g)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[g.gt], '-inf', now, 'LIMIT', 0, 20)
  for _, member in ipairs(expired) do
    local stored = redis.call('HGET', KEYS[g.gv], member)
    if stored and string.sub(stored, 31) == ':d' then redis.call('HDEL', KEYS[g.gv], member) end
    redis.call('ZREM', KEYS[g.gt], member)
  end
end

local function removeMember(g)
  pruneTombstones(g)
  if newer(redis.call('HGET', KEYS[g.gv], g.member)) then return false end
  local kind = redis.call('TYPE', KEYS[g.g])['ok']
  if kind == 'zset' then
    redis.call('ZREM', KEYS[g.g], g.member)
  elseif kind == 'set' then
    redis.call('SREM', KEYS[g.g], g.member)
  end
  redis.call('HSET', KEYS[g.gv], g.member, version .. ':d')
  redis.call('ZADD', KEYS[g.gt], tonumber(now) + tonumber(g.tombTtl), g.member)
  return true
end

local function addMember(g)
  pruneTombstones(g)
  if newer(redis.call('HGET', KEYS[g.gv], g.member)) then return false end
  if g.kind == 'zset' then
    redis.call('ZADD', KEYS[g.g], g.score, g.member)
    local limit = tonumber(g.limit)
    if limit > 0 then
      if g.order == 'desc' then
        redis.call('ZREMRANGEBYRANK', KEYS[g.g], 0, -(limit + 1))
      else
        redis.call('ZREMRANGEBYRANK', KEYS[g.g], limit, -1)
      end
    end
  else
    redis.call('SADD', KEYS[g.g], g.member)
  end
  redis.call('HSET', KEYS[g.gv], g.member, version)
  redis.call('ZREM', KEYS[g.gt], g.member)
  return true
end

local function writeRow(r)
  local stored = redis.call('HGET', KEYS[r.k], 'v')
  if stored and stored > r.v then return 0 end
  redis.call('DEL', KEYS[r.k])
  redis.call('HSET', KEYS[r.k], 'v', r.v, 'k', r.ck, 'g', r.g, 'd', r.d)
  if r.d == '1' then redis.call('PEXPIRE', KEYS[r.k], r.ttl) end
  return 1
end

local valueWritten = true
local sets, deletes, removes, adds, refused = 0, 0, 0, 0, 0
if plan.set then
  valueWritten = writeValue(plan.set)
  if valueWritten then sets = 1 end
end
for _, d in ipairs(plan.del) do
  if deleteValue(d) then deletes = deletes + 1 else refused = refused + 1 end
end
for _, g in ipairs(plan.rem) do
  if removeMember(g) then removes = removes + 1 else refused = refused + 1 end
end
for _, g in ipairs(plan.add) do
  if addMember(g) then adds = adds + 1 end
end

-- Refused as older than what is stored (only when the row record was lost): no record going back in time.
local recorded = 0
if valueWritten and (plan.set or refused == 0 or deletes + removes > 0) then
  if plan.prev then writeRow(plan.prev) end
  recorded = writeRow(plan.row)
end
return { recorded, sets, deletes, removes, adds }
