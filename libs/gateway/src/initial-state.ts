/**
 * The initial state of one subscriber, read in ONE `REPEATABLE READ READ ONLY` transaction whose
 * first statement records the snapshot (`pg_current_snapshot()`, xmin:xmax:xip) and
 * `pg_current_wal_insert_lsn()` (every transaction visible in the snapshot committed below it);
 * the table's rows follow in that same snapshot. Columns are projected in
 * SQL (the projection, the key and whatever the filter reads), values are converted exactly like
 * streamed rows (pg-source's type contract), and the filter runs in JS with the cache sink's
 * JSONata evaluation. See subscriber.ts for how the snapshot is joined with the log.
 */
import type { Pool } from 'pg';
import { canonicalKey, parseLsn, quoteIdent, quoteTable, splitTable, type Row } from '@distributary/core';
import { convertValue, describeSnapshotTable, type TypeResolver } from '@distributary/pg-source';
import type { BoundFilter } from './subscription-filter';
import { parseSnapshot, type SourceSnapshot } from './visibility';

export interface KeyedRow {
  key: Row;
  row: Row;
}

export interface InitialState {
  snapshot: SourceSnapshot;
  keyColumns: string[];
  /** Matching rows by canonical key. */
  rows: Map<string, KeyedRow>;
}

/** Thrown when more rows match than the subscription's limit. */
export class TooManyRowsError extends Error {}

export async function readInitialState(pool: Pool, types: TypeResolver, filter: BoundFilter): Promise<InitialState> {
  const subscription = filter.subscription;
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const marks = await client.query<string[]>({
      text: 'SELECT pg_current_snapshot()::text, pg_current_wal_insert_lsn()::text',
      rowMode: 'array',
    });
    const [snapshotText, lsnText] = marks.rows[0] as unknown as [string, string];
    const snapshot = parseSnapshot(snapshotText, parseLsn(lsnText));
    const meta = await describeSnapshotTable(client, subscription.table);
    const wanted = subscription.columns
      ? new Set([...subscription.columns, ...meta.keyColumns, ...subscription.filterNames])
      : undefined;
    const columns = meta.columns.filter((c) => !wanted || wanted.has(c.name));
    const { schema, table } = splitTable(subscription.table);
    const result = await client.query({
      text: `SELECT ${columns.map((c) => quoteIdent(c.name)).join(', ')} FROM ${quoteTable(schema, table)}`,
      rowMode: 'array',
    });
    const kinds = await Promise.all(columns.map((c) => types.resolve(c.typeOid)));
    const rows = new Map<string, KeyedRow>();
    for (const values of result.rows as (string | null)[][]) {
      const row: Row = {};
      columns.forEach((column, i) => (row[column.name] = convertValue(values[i], kinds[i])));
      if (!(await filter.matches(row))) continue;
      const key: Row = {};
      for (const name of meta.keyColumns) key[name] = row[name];
      rows.set(canonicalKey(subscription.table, key), { key, row });
      if (subscription.limit !== undefined && rows.size > subscription.limit)
        throw new TooManyRowsError(`more than ${subscription.limit} rows match`);
    }
    await client.query('COMMIT');
    return { snapshot, keyColumns: meta.keyColumns, rows };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => (broken = true));
    throw error;
  } finally {
    client.release(broken);
  }
}
