/**
 * Post-mortem help for a failed check: what the change log holds for a few of the differing keys
 * (every event of that table and key: position, op, and whether a whole row is there), so a report
 * says whether the connector never logged a change or a sink did not apply it.
 */
import type { LogKeys, RedisClient } from '@distributary/changelog';
import { keyText, scanLog } from '../harness/log-scan';

export async function traceKeys(
  redis: RedisClient,
  keys: LogKeys,
  partitions: number,
  table: string,
  ids: string[],
): Promise<Record<string, string[]>> {
  const trace: Record<string, string[]> = Object.fromEntries(ids.map((id) => [id, []]));
  await scanLog(redis, keys, partitions, (event, p) => {
    const key = keyText(event);
    if (event.table !== table || !(key in trace)) return;
    const filled = event.filled?.length ? ` filled:${event.filled.join(',')}` : '';
    trace[key].push(`p${p} ${event.pos.lsn}-${event.pos.seq} ${event.op}${event.after ? ' after' : ''}${filled}`);
  });
  return trace;
}
