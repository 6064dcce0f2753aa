/**
 * Whether the log still holds every entry after a resuming client's position: entries after it
 * were deleted (compaction, retention: XINFO max-deleted-entry-id) or the position is beyond the
 * partition mean the resume cannot be exact (the stream sends `reset`).
 */
import { compareIds, START_ID } from '@distributary/core';
import type { LogKeys, RedisClient } from '@distributary/changelog';
import type { PositionVector } from './positions';

interface StreamInfo {
  lastGenerated: string;
  maxDeleted: string | undefined;
  first: string | undefined;
}

/** True when some partition no longer holds every entry after `vector`. */
export async function logLost(redis: RedisClient, keys: LogKeys, vector: PositionVector): Promise<boolean> {
  for (let partition = 0; partition < vector.length; partition++) {
    const at = vector[partition];
    const info = await streamInfo(redis, keys.partition(partition));
    if (!info) {
      if (at !== START_ID) return true;
      continue;
    }
    if (compareIds(at, info.lastGenerated) > 0) return true;
    if (
      info.maxDeleted !== undefined
        ? compareIds(info.maxDeleted, at) > 0
        : compareIds(info.first ?? at, at) > 0 && at !== START_ID
    )
      return true;
  }
  return false;
}

async function streamInfo(redis: RedisClient, stream: string): Promise<StreamInfo | undefined> {
  let reply: unknown[];
  try {
    reply = (await redis.call('XINFO', 'STREAM', stream)) as unknown[];
  } catch (error) {
    if (error instanceof Error && /no such key/i.test(error.message)) return undefined;
    throw error;
  }
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), reply[i + 1]);
  const firstEntry = fields.get('first-entry') as [string, unknown] | null | undefined;
  const maxDeleted = fields.get('max-deleted-entry-id');
  return {
    lastGenerated: String(fields.get('last-generated-id') ?? START_ID),
    maxDeleted: typeof maxDeleted === 'string' ? maxDeleted : undefined,
    first: firstEntry ? firstEntry[0] : undefined,
  };
}
