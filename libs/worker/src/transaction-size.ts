import { positionToId, type Lsn } from '@distributary/core';
import { type LogHandle, txMarkerId } from '@distributary/changelog';

/**
 * For transaction-granular views: how many distinct log entries of `tables` a source transaction has,
 * once its commit marker is in the log (the connector appends it with the transaction's last events);
 * undefined while the transaction is not complete in the log. A truncate is one entry under one ID in
 * every partition, counted once.
 */
export function transactionSizeFromLog(
  { redis, keys, partitions }: LogHandle,
  tables: readonly string[],
): (commitLsn: Lsn) => Promise<number | undefined> {
  const wanted = new Set(tables);
  return async (commitLsn) => {
    const commitId = txMarkerId(commitLsn, 'commit');
    const marker = await redis.xrange(keys.transactions(), commitId, commitId);
    if (marker.length === 0) return undefined;
    const ids = new Set<string>();
    const first = positionToId({ lsn: commitLsn, seq: 0 });
    const last = commitLsn.toString();
    for (let p = 0; p < partitions; p++) {
      const entries = (await redis.xrange(keys.partition(p), first, last)) as [string, string[]][];
      for (const [id, fields] of entries) {
        const tableField = fields.indexOf('e');
        const body = tableField >= 0 ? (JSON.parse(fields[tableField + 1]) as { table?: string }) : {};
        if (body.table && wanted.has(body.table)) ids.add(id);
      }
    }
    return ids.size;
  };
}
