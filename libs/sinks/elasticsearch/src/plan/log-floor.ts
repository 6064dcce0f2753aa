import { LogKeys, type RedisClient } from '@distributary/changelog';

/**
 * The newest commit LSN the connector has logged a transaction marker for (the log's `tx` stream,
 * whose entry IDs are `<commit LSN>-<0|1>`), or undefined while it holds none. A marker exists only
 * for a transaction the connector received from the slot, i.e. one that committed; commit LSNs grow
 * in commit order, so every change with a version at or below it belongs to a committed transaction —
 * the same "in the log means committed" the sink's batches already rely on. Committed is not yet
 * visible (a commit waiting for a synchronous standby is decoded first): the snapshots reading at this
 * floor are begun by pg-snapshot's beginVisibleSnapshot, which waits for such commits. It raises the lookup
 * cache's floor (CommittedFloor) past the events this process happened to apply itself.
 */
export function loggedCommitLsn(redis: RedisClient, namespace: string): () => Promise<number | undefined> {
  const stream = new LogKeys(namespace).transactions();
  return async () => {
    const [newest] = (await redis.xrevrange(stream, '+', '-', 'COUNT', 1)) as [string, string[]][];
    if (!newest) return undefined;
    const lsn = Number(newest[0].slice(0, newest[0].indexOf('-')));
    return Number.isSafeInteger(lsn) && lsn > 0 ? lsn : undefined;
  };
}
