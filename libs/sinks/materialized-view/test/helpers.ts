import type { ChangeEvent, Op, Row } from '@distributary/core';
import type { MaterializedViewSinkConfig } from '@distributary/config';
import { type TestDatabase, uniqueName } from '@distributary/testkit';

/** Test helpers: change events with explicit positions, and view rows compared as normalised text. */
export function event(table: string, op: Op, key: Row, after: Row | undefined, lsn: number, seq = 0): ChangeEvent {
  return {
    pos: { lsn: BigInt(lsn), seq },
    op,
    table,
    key,
    ...(after ? { after } : {}),
    commitTs: new Date(1_700_000_000_000 + lsn).toISOString(),
  };
}

export function viewConfig(
  target: TestDatabase,
  sql: string,
  table = uniqueName('analytics.v'),
  transactional = false,
): MaterializedViewSinkConfig {
  return {
    name: uniqueName('view').replace(/_/g, '-'),
    view: { postgres: target.url, table, stateSchema: 'distributary_views' },
    sql,
    transactional,
  };
}

/** Numeric text without insignificant trailing zeros, so 10.50 (numeric(12,2)) equals 10.5. */
function normalise(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^-?\d+\.\d+$/.test(text)) return text.replace(/0+$/, '').replace(/\.$/, '');
  return text;
}

export function normaliseRows(rows: Record<string, unknown>[]): string[] {
  return rows
    .map((row) =>
      Object.entries(row)
        .map(([k, v]) => `${k}=${normalise(v)}`)
        .join(' '),
    )
    .sort();
}

export async function viewRows(db: TestDatabase, table: string): Promise<string[]> {
  return normaliseRows(await db.sql(`SELECT * FROM ${table}`));
}

export async function queryRows(db: TestDatabase, sql: string): Promise<string[]> {
  return normaliseRows(await db.sql(sql));
}

export function batch(partition: number, events: ChangeEvent[], fencingToken = 1) {
  const last = events[events.length - 1];
  return {
    sink: 'test',
    partition,
    events,
    lastId: `${last.pos.lsn}-${last.pos.seq}`,
    fencingToken,
  };
}
