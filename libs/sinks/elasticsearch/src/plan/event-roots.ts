import type { Row, SourceTable } from '@distributary/core';
import { tupleKey } from './row-match';
import type { Trigger } from './root-triggers';

/**
 * The root row a batch already holds, so it need not be re-read from the source: the row of the
 * root's own insert, update or snapshot read when that event is the root's newest trigger.
 *
 * Why this is exact. The log is partitioned by table and key, so every change of one root row is in
 * one partition, in commit order, and a batch is a contiguous stretch of it. The root's newest own
 * event in the batch therefore carries the row as it is at the batch's last position E, and the
 * document is written with a version V <= E (the root's newest trigger: its own change, or a lookup
 * or child change of the same batch). That is what a re-read gives too: a row at least as new as V.
 * The joined rows are still read (or taken from the shared lookup cache) after every event up to V
 * committed, and any later change of the root or of a joined row is a later event that writes the
 * document again with a higher version (external_gte). Versions, order and idempotence are those of
 * the re-read; the direct plan has always built its documents from the event's row the same way.
 *
 * Only a complete row is used: every column the sink's catalog entry of the root table lists must be
 * present (an event's row lacks a column added after it, or a generated column, which logical
 * replication does not send): such a root is re-read as before, and so is a root whose newest trigger
 * is a delete or a change of a child or lookup row.
 */
export function ownRow(trigger: Trigger, info: SourceTable): Row | undefined {
  const { event } = trigger;
  if (event.table !== info.table || (event.op !== 'c' && event.op !== 'u' && event.op !== 'r')) return undefined;
  const row = event.after;
  if (!row) return undefined;
  for (const column of info.columns.keys()) if (!Object.hasOwn(row, column)) return undefined;
  const key = info.primaryKey;
  return tupleKey(row, key) === tupleKey(trigger.tuple, key) ? row : undefined;
}
