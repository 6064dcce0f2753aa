import type { ChangeEvent } from '@distributary/core';
import type { ChangeLog } from '@distributary/changelog';

/** Entries read per page of a transaction's earlier part. */
const PAGE = 1000;

/**
 * The events of `partition` that belong to the transaction of `first` and come before it (entry IDs
 * are `<commit LSN>-<seq>`, so they are exactly the range [`<lsn>-0`, first)), a page at a time. A
 * sink asks for them when a batch's first transaction began in an earlier batch and its effect
 * reaches back (a TRUNCATE ends the rows its transaction wrote before it). Compaction never removes
 * a transaction's entries before every sink has passed it (changelog's compaction-plan.ts).
 */
export function earlierInTransaction(
  log: ChangeLog,
  partition: number,
  first: ChangeEvent | undefined,
): () => AsyncIterable<ChangeEvent[]> {
  return async function* () {
    if (!first || first.pos.seq === 0) return;
    const end = `(${first.pos.lsn}-${first.pos.seq}`;
    let start = `${first.pos.lsn}-0`;
    for (;;) {
      const entries = await log.read.range(partition, start, end, PAGE);
      if (entries.length > 0) yield entries.map((entry) => entry.event);
      if (entries.length < PAGE) return;
      start = `(${entries[entries.length - 1].id}`;
    }
  };
}
