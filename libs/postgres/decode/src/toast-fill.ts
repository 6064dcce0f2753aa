import type { ChangeEvent, Row } from '@distributary/core';
import type { DecodedChange } from './change-decoder';

export interface ToastSources {
  /** Latest logged after-row of (table, key), or undefined. */
  latestLogged(table: string, key: Row, event: ChangeEvent): Promise<Row | undefined>;
  /** The current row read from the source by key, or undefined when it no longer exists. */
  reread(change: DecodedChange): Promise<Row | undefined>;
  /** Last resort before giving up: the latest logged version found by scanning the whole partition. */
  latestLoggedExhaustive?(table: string, key: Row, event: ChangeEvent): Promise<Row | undefined>;
}

export class UnfillableToastError extends Error {}

/**
 * Unchanged TOAST values never reach the log as null or missing. They are filled, per column, from
 * the first source that has them: the latest logged version of the row ('log': a recent-rows cache,
 * then the partition stream), the REPLICA IDENTITY FULL old tuple ('old'), a re-read of the row by
 * key ('reread'; after a key change, by the old key and then by the new one). `filled` records 'column:source'. A value nobody has is an error, never a null
 * — except when the change is superseded (null: see the end), which the caller skips.
 */
export async function fillUnchangedToast(change: DecodedChange, sources: ToastSources): Promise<ChangeEvent | null> {
  const { event, unchanged } = change;
  if (unchanged.length === 0 || !event.after) return event;
  const after: Row = { ...event.after };
  const filled: string[] = [];
  let missing = [...unchanged];

  const take = (row: Row | undefined, source: string): void => {
    if (!row) return;
    missing = missing.filter((column) => {
      if (!Object.hasOwn(row, column)) return true; // own columns only: never an inherited `toString`
      after[column] = row[column];
      filled.push(`${column}:${source}`);
      return false;
    });
  };

  take(await sources.latestLogged(event.table, change.lookupKey ?? event.key, event), 'log');
  if (missing.length) take(change.oldRow, 'old');
  let rowGone = false;
  if (missing.length) {
    const current = await sources.reread(change);
    rowGone = current === undefined;
    take(current, 'reread');
  }
  // A key change: the old key's latest version is hidden by its deletion just before, and nothing is
  // left at the old key; the row is at its new key.
  if (missing.length && change.lookupKey) {
    const current = await sources.reread({ ...change, lookupKey: undefined });
    rowGone = current === undefined;
    take(current, 'reread');
  }
  if (missing.length && sources.latestLoggedExhaustive)
    take(await sources.latestLoggedExhaustive(event.table, change.lookupKey ?? event.key, event), 'log');
  // Nobody has the value, after the whole partition was searched: the log holds no live version of the
  // row before this change, there is no old tuple, and the row is gone from the source. An UPDATE only
  // touches an existing row, so a later change in the WAL removed it (a DELETE, a key change, a
  // TRUNCATE); and no sink holds the row, since sinks hold only what the log holds. The change is
  // superseded: skipping it leaves every sink exactly as it will be after that removal, where logging it
  // would need a value nobody has. (A resumed initial snapshot reads rows at a snapshot newer than the
  // consistent point: a row updated and then deleted in between is in neither the snapshot nor the log.)
  if (missing.length && sources.latestLoggedExhaustive && rowGone) return null;
  if (missing.length)
    throw new UnfillableToastError(
      `cannot fill unchanged TOAST column(s) ${missing.join(', ')} of ${event.table} ${JSON.stringify(event.key)}: ` +
        `not in the log, no old tuple and the row is gone; set ALTER TABLE ${event.table} REPLICA IDENTITY FULL`,
    );
  return { ...event, after: inColumnOrder(after, change), filled };
}

/** Filled columns were appended: put the row back in the table's column order (documents keep it). */
function inColumnOrder(row: Row, change: DecodedChange): Row {
  const ordered: Row = {};
  for (const { name } of change.relation.columns) if (Object.hasOwn(row, name)) ordered[name] = row[name];
  for (const name in row) if (!Object.hasOwn(ordered, name)) ordered[name] = row[name];
  return ordered;
}
