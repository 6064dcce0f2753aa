import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MaterializedViewSinkConfig } from '@distributary/config';
import type { ChangeEvent } from '@distributary/core';
import { createMaterializedViewSink, type MaterializedViewSink } from '@distributary/sink-materialized-view';
import { createTestDatabase, uniqueName, type TestDatabase } from '@distributary/testkit';
import { compareSides, isClean } from '@distributary/verify';
import { SnapshotSlot, SourceSnapshot } from '../src/oracle/source-snapshot';
import { viewSides } from '../src/sides/view-sides';

/**
 * The view sides on their own, with the real view sink: values are compared as PostgreSQL's text, so
 * a sum of 1e-1000 is 1e-1000 (it was once expected as "0"), a changed last digit of a 1000-digit
 * value is a difference, and float sums (whose last digits depend on PostgreSQL's scan order) are
 * compared within a relative tolerance.
 */
let db: TestDatabase;
let sink: MaterializedViewSink;
let config: MaterializedViewSinkConfig;
const tiny = `0.${'0'.repeat(999)}1`;

const row = (pk: number, x: string, f: string) => ({ pk, grp: 1, x, f });
const event = (pk: number, x: string, f: string, lsn: number): ChangeEvent => ({
  pos: { lsn: BigInt(lsn), seq: 0 },
  op: 'c',
  table: 'public.facts',
  key: { pk },
  after: row(pk, x, f),
});

beforeAll(async () => {
  db = await createTestDatabase('vviews');
  await db.sql(
    `CREATE TABLE facts (pk int PRIMARY KEY, grp int, x numeric, f double precision); CREATE SCHEMA analytics`,
  );
  const rows = [row(1, tiny, '0.1'), row(2, '0', '0.2'), row(3, '0', '0.3')];
  for (const r of rows) await db.sql(`INSERT INTO facts VALUES ($1, $2, $3, $4)`, [r.pk, r.grp, r.x, r.f]);
  config = {
    name: uniqueName('vsides').replace(/_/g, '-'),
    view: { postgres: db.url, table: `analytics.${uniqueName('v')}`, stateSchema: 'distributary_views' },
    sql: 'SELECT grp, sum(x) AS sx, sum(f) AS sf, avg(f) AS af FROM public.facts GROUP BY grp',
    transactional: false,
  };
  sink = await createMaterializedViewSink(config, { sourceUrl: db.url });
  await sink.open();
  await sink.apply({
    sink: config.name,
    partition: 0,
    events: rows.map((r, i) => event(r.pk, r.x, r.f, 100 + i)),
    lastId: '102-0',
    fencingToken: 1,
  });
});

afterAll(async () => {
  await sink?.close();
  await db?.drop();
});

async function compare() {
  const slot = new SnapshotSlot();
  const sides = await viewSides(config, { url: db.url, snapshot: slot });
  const snapshot = await SourceSnapshot.open(db.url);
  slot.set(snapshot);
  try {
    return await compareSides(sides.expected, sides.actual, { examples: 10, equal: sides.equal });
  } finally {
    await snapshot.end();
    await sides.close();
  }
}

describe('view sides', () => {
  it('compares 1000 decimals exactly and float sums within PostgreSQL’s rounding', async () => {
    const source = await db.sql<{ sx: string; sf: string }>(`SELECT sum(x)::text AS sx, sum(f)::text AS sf FROM facts`);
    const view = await db.sql<{ sx: string; sf: string }>(`SELECT sx::text, sf::text FROM ${config.view.table}`);
    expect(view[0].sx).toBe(source[0].sx);
    expect(view[0].sx).toBe(tiny);
    // PostgreSQL adds 0.1 + 0.2 + 0.3 in doubles, one rounding per step; the view rounds the exact sum once.
    expect(source[0].sf).toBe('0.6000000000000001');
    expect(view[0].sf).toBe('0.6');
    const report = await compare();
    expect(isClean(report), JSON.stringify(report)).toBe(true);
  });

  it('reports a changed last digit of a 1000-decimal sum, and a float sum that is really off', async () => {
    await db.sql(`UPDATE ${config.view.table} SET sx = sx * 2`);
    let report = await compare();
    expect(report.differentCount).toBe(1);
    expect(report.different[0]).toMatchObject({ key: '["1"]', expected: { sx: tiny } });
    await db.sql(`UPDATE ${config.view.table} SET sx = sx / 2, sf = 0.6000001`);
    report = await compare();
    expect(report.different).toEqual([
      {
        key: '["1"]',
        expected: { sx: tiny, sf: '0.6000000000000001', af: '0.20000000000000004' },
        actual: expect.objectContaining({ sf: '0.6000001' }),
      },
    ]);
  });
});
