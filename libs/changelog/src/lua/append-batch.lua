-- Appends a batch of entries to ONE stream, in order, with their explicit IDs (`<commitLsn>-<seq>`).
-- KEYS[1] = the stream
-- ARGV[1] = one MessagePack array: id, n, field1, value1, …, fieldn, valuen, id, n, …   (n field pairs
--           per entry), packed by the client (libs/changelog/src/packed-args.ts) so that a call of
--           1000 entries is one argument, not thousands.
-- ARGV[2] = the last ID of the writer's previous call for this stream ('' when there is none): the
--           script refuses to append anything (error GAP) unless the stream has reached it. So a call
--           can never land after an earlier one of the same writer that failed (a Redis Cluster MOVED
--           answered to the earlier call while the later one went to the slot's new node, a reply lost
--           in a restart): the writer fails and replays from its last confirmed position instead of
--           leaving a gap that the replay could not fill (IDs below the stream top are refused).
-- Redis refuses an ID not above the stream's top: such an entry counts as a duplicate (a re-append
-- after a crash) and is also reported as absent when the stream does not hold it (compacted away, or a
-- real gap). Any other error stops the script with that error; entries before it stay appended, and the
-- caller must not confirm anything of the batch (a replay re-appends idempotently).
-- One script call per stream and batch: with `appendfsync always` the whole batch costs one fsync.
-- Returns {appended, duplicates, absent id, absent id, …}.

-- a < b for stream IDs `<ms>-<seq>` of decimal digits (64-bit values: compared as text, not as Lua numbers)
local function below(a, b)
  local ams, aseq = string.match(a, '^(%d+)-(%d+)$')
  local bms, bseq = string.match(b, '^(%d+)-(%d+)$')
  if #ams ~= #bms then return #ams < #bms end
  if ams ~= bms then return ams < bms end
  if #aseq ~= #bseq then return #aseq < #bseq end
  return aseq < bseq
end

-- The highest ID the stream has ever had (its newest entry; XINFO's last-generated-id when it is empty).
local function top(stream)
  local newest = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)[1]
  if newest then return newest[1] end
  if redis.call('EXISTS', stream) == 0 then return '0-0' end
  local info = redis.call('XINFO', 'STREAM', stream)
  for j = 1, #info, 2 do
    if info[j] == 'last-generated-id' then return info[j + 1] end
  end
  return '0-0'
end

local previous = ARGV[2]
if previous and previous ~= '' then
  local reached = top(KEYS[1])
  if below(reached, previous) then
    return redis.error_reply('GAP ' .. KEYS[1] .. ' ends at ' .. reached .. ', before ' .. previous ..
      ' (the end of an earlier call of this writer): nothing appended')
  end
end

local args = cmsgpack.unpack(ARGV[1])
local appended, duplicates = 0, 0
local result = {0, 0}
local i, last = 1, #args
while i <= last do
  local id = args[i]
  local pairs = args[i + 1]
  local reply = redis.pcall('XADD', KEYS[1], id, unpack(args, i + 2, i + 1 + 2 * pairs))
  if type(reply) == 'table' and reply.err then
    if string.find(reply.err, 'equal or smaller than the target stream top item', 1, true) then
      duplicates = duplicates + 1
      if #redis.call('XRANGE', KEYS[1], id, id) == 0 then result[#result + 1] = id end
    else
      return redis.error_reply(reply.err)
    end
  else
    appended = appended + 1
  end
  i = i + 2 + 2 * pairs
end
result[1] = appended
result[2] = duplicates
return result
