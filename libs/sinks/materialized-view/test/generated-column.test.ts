import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMaterializedViewSink } from '@distributary/sink-materialized-view';
import { type TestDatabase, createTestDatabase } from '@distributary/testkit';
import { viewConfig } from './helpers';

/**
 * A generated column is never in the log (logical replication does not send it, docs/types.md): a view
 * that reads one is refused when it opens, naming the column, instead of dead-lettering every row.
 */
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('mvgen');
  await db.sql(`CREATE TABLE public.g (id int PRIMARY KEY, x int, doubled int GENERATED ALWAYS AS (x * 2) STORED)`);
});

afterAll(async () => {
  await db?.drop();
});

describe('a view over a table with a generated column', () => {
  it('is refused when it reads the generated column, and opens when it does not', async () => {
    const refused = await createMaterializedViewSink(
      viewConfig(db, 'SELECT x, sum(doubled) AS s FROM public.g GROUP BY x'),
      { sourceUrl: db.url },
    );
    await expect(refused.open()).rejects.toThrow(/column doubled of public\.g is a generated column/);
    const fine = await createMaterializedViewSink(viewConfig(db, 'SELECT x, sum(id) AS s FROM public.g GROUP BY x'), {
      sourceUrl: db.url,
    });
    await fine.open();
    await fine.close();
  });
});
