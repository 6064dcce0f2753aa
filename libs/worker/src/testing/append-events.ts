import { encodeEvent, partitionFor, type ChangeEvent } from '@distributary/core';
import type { LogKeys, RedisClient } from '@distributary/changelog';

/** Appends events to their partitions with plain XADD (explicit IDs), as the connector would. */
export async function appendEvents(
  redis: RedisClient,
  keys: LogKeys,
  partitions: number,
  events: ChangeEvent[],
): Promise<void> {
  for (const event of events) {
    const encoded = encodeEvent(event);
    const partition = partitionFor(event.table, event.key, partitions);
    await redis.xadd(keys.partition(partition), encoded.id, ...Object.entries(encoded.fields).flat());
  }
}

let lsn = 1000n;
/** A stream of increasing positions (one event per transaction). */
export function makeEvent(
  table: string,
  id: number,
  op: ChangeEvent['op'] = 'c',
  extra: Record<string, string> = {},
): ChangeEvent {
  lsn += 8n;
  return {
    pos: { lsn, seq: 0 },
    op,
    table,
    key: { id: String(id) },
    ...(op === 'd' ? {} : { after: { id: String(id), ...extra } }),
    commitTs: new Date().toISOString().replace('Z', '000Z'),
  };
}
