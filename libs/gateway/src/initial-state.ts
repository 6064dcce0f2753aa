/**
 * The initial state of one subscriber, read in ONE `REPEATABLE READ READ ONLY` transaction whose
 * first statement records the snapshot (`pg_current_snapshot()`, xmin:xmax:xip) and
 * `pg_current_wal_insert_lsn()` (every transaction visible in the snapshot committed below it);
 * the table's rows follow in that same snapshot. Columns are projected in
 * SQL (the projection, the key and whatever the filter reads), values are converted exactly like
 * streamed rows (pg-decode's type contract), and the filter runs in JS with the cache sink's
 * JSONata evaluation. See subscriber.ts for how the snapshot is joined with the log.
 */
import type { Pool } from 'pg';
import { canonicalKey, parseLsn, quoteIdent, quoteTable, splitTable, type Row } from '@distributary/core';
import type { TypeResolver } from '@distributary/pg-catalog';
import { convertValue } from '@distributary/pg-decode';
import { beginVisibleSnapshot, describeSnapshotTable } from '@distributary/pg-snapshot';
import type { BoundFilter } from './subscription-filter';
import { rowComparator, type RowComparator } from './row-order';
import { MAX_WINDOW_ROWS } from './top-n';
import { parseSnapshot, type SourceSnapshot } from './visibility';

export interface KeyedRow {
  key: Row;
  row: Row;
}

export interface InitialState {
  snapshot: SourceSnapshot;
  keyColumns: string[];
  /** The table's columns (for a top-N subscription's comparator). */
  tableColumns: { name: string; typeOid: number; sqlType: string }[];
  /** Matching rows by canonical key (a top-N read with a capacity: only the first `capacity` in order). */
  rows: Map<string, KeyedRow>;
  /** `rows` are all the matching rows (false: a top-N read kept only the first `capacity`). */
  complete: boolean;
  /** A top-N subscription's order (row-order.ts); undefined for a plain one. */
  compare: RowComparator | undefined;
}

/** Column types whose type-contract value is exactly their `::text` (int2, int4, int8, text, varchar, numeric). */
const TEXT_EXACT_TYPES = new Set([21, 23, 20, 25, 1043, 1700]);

/**
 * A filter `column = :param` (alone or a conjunct of `and`) on a column whose contract value is its
 * `::text` narrows the read in SQL: `WHERE column::text = $1` with the parameter's text. A row the
 * filter matches has that column equal to the bound parameter (the number 3 for "3", else the string
 * itself), so its text is the parameter's text: the SQL condition keeps every matching row, and
 * the filter still runs on what it returns.
 */
function equalityPrefilter(
  filter: BoundFilter,
  columns: { name: string; typeOid: number }[],
): { where: string; values: string[] } | undefined {
  const equality = filter.subscription.equality;
  if (!equality) return undefined;
  const column = columns.find((c) => c.name === equality.column);
  if (!column || !TEXT_EXACT_TYPES.has(column.typeOid)) return undefined;
  return { where: ` WHERE ${quoteIdent(column.name)}::text = $1`, values: [filter.params[equality.param]] };
}

/** Thrown when more rows match than a top-N subscriber without a limit may keep (top-n.ts). */
export class TooManyRowsError extends Error {}

/**
 * The initial state. A top-N read (`capacity`: N + K) keeps only the first `capacity` matching rows
 * in order, however many match: it collects up to twice the capacity, then sorts and cuts back
 * (O(rows · log capacity) time, O(capacity) matching rows kept). The table's rows themselves are
 * still fetched in one result (the transient memory of this read is the table's projected rows).
 */
export async function readInitialState(
  pool: Pool,
  types: TypeResolver,
  filter: BoundFilter,
  capacity = Infinity,
): Promise<InitialState> {
  const subscription = filter.subscription;
  const { snapshot, meta, columns, values } = await readSnapshot(pool, filter);
  // Types are resolved through the pool only after the snapshot's connection is back in it: with
  // every connection inside a snapshot waiting for a type, nothing would ever resolve one.
  const kinds = await Promise.all(columns.map((c) => types.resolve(c.typeOid)));
  const compare = subscription.windowed
    ? rowComparator(subscription.table, subscription.order, meta.keyColumns, meta.columns)
    : undefined;
  const bounded = compare !== undefined && Number.isFinite(capacity);
  const byOrder = (a: KeyedRow & { canonical: string }, b: KeyedRow & { canonical: string }) =>
    (compare as RowComparator)(a.row, b.row);
  let kept: (KeyedRow & { canonical: string })[] = [];
  let matched = 0;
  const rows = new Map<string, KeyedRow>();
  for (const raw of values) {
    const row: Row = {};
    columns.forEach((column, i) => (row[column.name] = convertValue(raw[i], kinds[i])));
    if (!(await filter.matches(row))) continue;
    matched++;
    const key: Row = {};
    for (const name of meta.keyColumns) key[name] = row[name];
    const canonical = canonicalKey(subscription.table, key);
    if (bounded) {
      kept.push({ canonical, key, row });
      if (kept.length >= Math.max(2 * capacity, 1024)) kept = kept.sort(byOrder).slice(0, capacity);
      continue;
    }
    rows.set(canonical, { key, row });
    if (subscription.windowed && rows.size > MAX_WINDOW_ROWS)
      throw new TooManyRowsError(`more than ${MAX_WINDOW_ROWS} rows match`);
  }
  if (bounded)
    for (const { canonical, key, row } of kept.sort(byOrder).slice(0, capacity)) rows.set(canonical, { key, row });
  return {
    snapshot,
    keyColumns: meta.keyColumns,
    tableColumns: meta.columns,
    rows,
    complete: matched <= capacity,
    compare,
  };
}

async function readSnapshot(pool: Pool, filter: BoundFilter) {
  const subscription = filter.subscription;
  const client = await pool.connect();
  let broken = false;
  try {
    // Every entry at or before the gateway's read vector G (noted before this read) is taken as visible
    // in the snapshot (subscriber.ts). A commit can be in the log before new snapshots see it (durable,
    // still waiting for a synchronous standby): beginVisibleSnapshot waits for those first.
    await beginVisibleSnapshot(client, { readOnly: true });
    const marks = await client.query<string[]>({
      text: 'SELECT pg_current_snapshot()::text, pg_current_wal_insert_lsn()::text',
      rowMode: 'array',
    });
    const [snapshotText, lsnText] = marks.rows[0] as unknown as [string, string];
    const snapshot = parseSnapshot(snapshotText, parseLsn(lsnText));
    const meta = await describeSnapshotTable(client, subscription.table);
    const wanted = subscription.columns
      ? new Set([
          ...subscription.columns,
          ...meta.keyColumns,
          ...subscription.filterNames,
          ...subscription.orderColumns,
        ])
      : undefined;
    const columns = meta.columns.filter((c) => !wanted || wanted.has(c.name));
    const { schema, table } = splitTable(subscription.table);
    const prefilter = equalityPrefilter(filter, meta.columns);
    const result = await client.query({
      text: `SELECT ${columns.map((c) => quoteIdent(c.name)).join(', ')} FROM ${quoteTable(schema, table)}${prefilter?.where ?? ''}`,
      values: prefilter?.values,
      rowMode: 'array',
    });
    await client.query('COMMIT');
    return { snapshot, meta, columns, values: result.rows as (string | null)[][] };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => (broken = true));
    throw error;
  } finally {
    client.release(broken);
  }
}
