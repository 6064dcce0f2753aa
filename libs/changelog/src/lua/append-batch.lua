-- Appends a batch of entries to ONE stream, in order, with their explicit IDs (`<commitLsn>-<seq>`).
-- KEYS[1] = the stream
-- ARGV[1] = one MessagePack array: id, n, field1, value1, …, fieldn, valuen, id, n, …   (n field pairs
--           per entry), packed by the client (libs/changelog/src/packed-args.ts) so that a call of
--           1000 entries is one argument, not thousands.
-- Redis refuses an ID not above the stream's top: such an entry counts as a duplicate (a re-append
-- after a crash) and is also reported as absent when the stream does not hold it (compacted away, or a
-- real gap). Any other error stops the script with that error; entries before it stay appended, and the
-- caller must not confirm anything of the batch (a replay re-appends idempotently).
-- One script call per stream and batch: with `appendfsync always` the whole batch costs one fsync.
-- Returns {appended, duplicates, absent id, absent id, …}.
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
