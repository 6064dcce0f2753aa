import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materializedViewSinkSchema } from '@distributary/config';
import { createTestDatabase, uniqueName, type TestDatabase } from '@distributary/testkit';
import { type MaterializedViewSink, createMaterializedViewSink } from '@distributary/sink-materialized-view';
import { batch, event, viewRows } from './helpers';

/**
 * Two pipelines (log namespaces) with a view sink of the same NAME in one target database: each keeps
 * its own state (keyed by pipeline) and owns its table (COMMENT marker). A third pipeline pointed at a
 * table another one owns is refused with a clear error instead of dropping it (the issue: a second
 * pipeline "rebuilt" the first one's view, dropping its table and state).
 */
let db: TestDatabase;
const open: MaterializedViewSink[] = [];
const stateSchema = uniqueName('iso_views');
const sql = 'SELECT status, count(*) AS n, sum(amount) AS total FROM public.orders GROUP BY status';

beforeAll(async () => {
  db = await createTestDatabase('mv_iso');
  await db.sql(`CREATE TABLE public.orders (id int PRIMARY KEY, status text, amount int)`);
});

afterAll(async () => {
  for (const sink of open) await sink.close();
  await db?.drop();
});

async function view(pipeline: string, table: string): Promise<MaterializedViewSink> {
  const sink = await createMaterializedViewSink(
    materializedViewSinkSchema.parse({ name: 'by-status', view: { postgres: db.url, table, stateSchema }, sql }),
    { sourceUrl: db.url, pipeline },
  );
  open.push(sink);
  await sink.open();
  return sink;
}

const order = (id: number, status: string) => ({ id, status, amount: 10 });

describe('views of two pipelines with the same sink name in one database', () => {
  it('stay separate and exact; a table another pipeline owns is refused, never dropped', async () => {
    const tableA = uniqueName('public.by_status_a');
    const tableB = uniqueName('public.by_status_b');
    const a = await view(uniqueName('pa'), tableA);
    const b = await view(uniqueName('pb'), tableB);
    await a.apply(batch(0, [event('public.orders', 'c', { id: 1 }, order(1, 'paid'), 100)]));
    await b.apply(
      batch(0, [
        event('public.orders', 'c', { id: 1 }, order(1, 'open'), 100),
        event('public.orders', 'c', { id: 2 }, order(2, 'open'), 101),
      ]),
    );
    // B rebuilds (as after a SQL change): A's table and state are untouched.
    await b.rebuild(
      (async function* () {
        yield [event('public.orders', 'c', { id: 3 }, order(3, 'void'), 200)];
      })(),
    );
    await a.apply(batch(0, [event('public.orders', 'c', { id: 4 }, order(4, 'paid'), 300)]));
    expect(await viewRows(db, tableA)).toEqual(['status=paid n=2 total=20']);
    expect(await viewRows(db, tableB)).toEqual(['status=void n=1 total=10']);
    expect((await a.storedPositions()).get(0)).toBe('300-0');

    // A third pipeline aimed at A's table is refused, naming the owner; A goes on.
    const owner = (await db.sql<{ c: string }>(`SELECT obj_description($1::regclass, 'pg_class') AS c`, [tableA]))[0].c;
    await expect(view(uniqueName('pc'), tableA)).rejects.toThrow(
      new RegExp(`refuses to create ${tableA}: it belongs to sink by-status of pipeline pa_`),
    );
    expect(owner).toMatch(/^distributary view; pipeline=pa_.*; sink=by-status$/);
    await a.apply(batch(1, [event('public.orders', 'd', { id: 1 }, undefined, 400)]));
    expect(await viewRows(db, tableA)).toEqual(['status=paid n=1 total=10']);
  });
});
