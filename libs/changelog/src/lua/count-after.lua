-- Counts the entries of a stream after an ID (exclusive) up to an ID (inclusive), stopping at a cap,
-- without sending them. Bounding the range by the last ID read with XINFO keeps a sample consistent.
-- KEYS[1] = stream; ARGV[1] = exclusive start ('(<id>' or '-'); ARGV[2] = end ID or '+'; ARGV[3] = cap.
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[2], 'COUNT', tonumber(ARGV[3]))
return #entries
