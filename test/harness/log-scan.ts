import { decodeEvent, type ChangeEvent } from '@distributary/core';
import { fieldsOf, type LogKeys, type RawStreamEntry, type RedisClient } from '@distributary/changelog';

/** Reads every event of every partition of the log, in order (for post-mortems, not for speed). */
export async function scanLog(
  redis: RedisClient,
  keys: LogKeys,
  partitions: number,
  visit: (event: ChangeEvent, partition: number) => void,
): Promise<void> {
  for (let p = 0; p < partitions; p++) {
    let start = '-';
    for (;;) {
      const batch = (await redis.xrange(keys.partition(p), start, '+', 'COUNT', 2000)) as RawStreamEntry[];
      for (const [id, raw] of batch) visit(decodeEvent(id, fieldsOf(raw)), p);
      if (batch.length < 2000) break;
      start = `(${batch[batch.length - 1][0]}`;
    }
  }
}

/** The first key column's value of an event, as text. */
export function keyText(event: ChangeEvent): string {
  return String(Object.values(event.key)[0]);
}
