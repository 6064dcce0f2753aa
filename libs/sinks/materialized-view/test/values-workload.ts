import fc from 'fast-check';
import type { ChangeEvent, Row } from '@distributary/core';
import type { TestDatabase } from '@distributary/testkit';
import { event } from './helpers';

/**
 * A random workload on public.vals, a fact table whose aggregated columns take the values that are
 * hard to maintain incrementally: numeric NaN/±Infinity, numerics of many scales and with 1000
 * decimals, float NaN/±Infinity/-0, real, and intervals. Events carry the values as the log does
 * (the type contract: numeric, floats and intervals as PostgreSQL's exact text).
 */
export const VALUES_TABLE = `CREATE TABLE public.vals (pk int PRIMARY KEY, grp int, x numeric, f float8, r real, iv interval)`;

export const VALUES_VIEW = `SELECT grp, count(*) AS n, count(x) AS nx, sum(x) AS sx, avg(x) AS ax, min(x) AS lx, max(x) AS hx,
    sum(f) AS sf, avg(f) AS af, min(f) AS lf, max(f) AS hf, sum(r) AS sr, avg(r) AS ar, max(r) AS hr,
    sum(iv) AS si, avg(iv) AS ai, min(iv) AS li, max(iv) AS hi
  FROM public.vals GROUP BY grp`;

export interface ValuesRow {
  pk: number;
  grp: number | null;
  x: string | null;
  f: string | null;
  r: string | null;
  iv: string | null;
}

export type ValuesOp = { kind: 'upsert'; row: ValuesRow } | { kind: 'delete'; pk: number };

const tiny = `0.${'0'.repeat(999)}1`;
const numeric = fc.constantFrom(
  'NaN',
  'Infinity',
  '-Infinity',
  '0',
  '1',
  '-1',
  '10.000',
  '2.5',
  '-0.125',
  '123456789012345678901234567890.123456789',
  tiny,
  `-${tiny}`,
);
// Finite floats are exact binary fractions, so every summation order gives the same float sum.
const float = fc.constantFrom('NaN', 'Infinity', '-Infinity', '-0', '0', '0.5', '-1.25', '3', '1024.75', '-8');
const interval = fc.constantFrom(
  '1 day',
  '-1 day',
  '1 mon',
  '-1 mon 2 days',
  '00:00:01.5',
  '3 years -00:00:00.000001',
  '0',
);

export const valuesOp: fc.Arbitrary<ValuesOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('upsert' as const),
      row: fc.record({
        pk: fc.integer({ min: 1, max: 8 }),
        grp: fc.option(fc.integer({ min: 1, max: 2 }), { freq: 6 }),
        x: fc.option(numeric, { freq: 5 }),
        f: fc.option(float, { freq: 5 }),
        r: fc.option(float, { freq: 5 }),
        iv: fc.option(interval, { freq: 5 }),
      }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), pk: fc.integer({ min: 1, max: 8 }) }) },
);

const literal = (value: string | number | null): string =>
  value === null ? 'NULL' : typeof value === 'number' ? String(value) : `'${value}'`;

/** What the log holds (the type contract): every value here is PostgreSQL's exact text. */
export function loggedRow(row: ValuesRow): Row {
  return { ...row };
}

export function upsertSql(row: ValuesRow): string {
  const values = [row.pk, row.grp, row.x, row.f, row.r, row.iv].map(literal).join(', ');
  return (
    `INSERT INTO public.vals VALUES (${values}) ON CONFLICT (pk) DO UPDATE SET ` +
    `grp = EXCLUDED.grp, x = EXCLUDED.x, f = EXCLUDED.f, r = EXCLUDED.r, iv = EXCLUDED.iv`
  );
}

/** The SQL performing the ops on a source table, and the events the connector would log (one transaction each). */
export function buildValuesWorkload(ops: ValuesOp[], firstLsn = 1000): { sql: string[]; events: ChangeEvent[] } {
  const live = new Set<number>();
  const sql: string[] = [];
  const events: ChangeEvent[] = [];
  let lsn = firstLsn;
  for (const op of ops) {
    lsn++;
    if (op.kind === 'upsert') {
      sql.push(upsertSql(op.row));
      events.push(event('public.vals', live.has(op.row.pk) ? 'u' : 'c', { pk: op.row.pk }, loggedRow(op.row), lsn));
      live.add(op.row.pk);
    } else if (live.delete(op.pk)) {
      sql.push(`DELETE FROM public.vals WHERE pk = ${op.pk}`);
      events.push(event('public.vals', 'd', { pk: op.pk }, undefined, lsn));
    }
  }
  return { sql, events };
}

/** Every column as PostgreSQL's own text, rows sorted: exact comparison (scale, -0, NaN, intervals). */
export async function exactRows(db: TestDatabase, sql: string): Promise<string[]> {
  // A record's text is each column's own output function (to_jsonb would turn -0 into 0).
  const rows = await db.sql<Record<string, unknown>>(`SELECT v::text AS j FROM (${sql}) v`);
  return rows.map((row) => String(row.j)).sort();
}
