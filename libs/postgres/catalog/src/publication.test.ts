import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'pg';
import { createTestDatabase, uniqueName, type TestDatabase } from '@distributary/testkit';
import { ensurePublication } from './publication';

/** The publication follows source.tables, whatever the names: a restart finds it already in line. */
let db: TestDatabase;
let pool: Pool;
const ODD = '"Odd "" . Schema"."Mixed T"';

beforeAll(async () => {
  db = await createTestDatabase('pubnames');
  await db.sql(
    `CREATE SCHEMA "Odd "" . Schema"; CREATE TABLE ${ODD} (id int PRIMARY KEY); CREATE TABLE plain (id int PRIMARY KEY)`,
  );
  pool = new Pool({ connectionString: db.url, max: 1 });
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('ensurePublication', () => {
  it('recognises quoted table names already published (a restart changes nothing), and adds / drops by name', async () => {
    const name = uniqueName('pub');
    expect(await ensurePublication(pool, name, [ODD])).toEqual({ created: true, added: [ODD], removed: [] });
    expect(await ensurePublication(pool, name, [ODD])).toEqual({ created: false, added: [], removed: [] });
    expect(await ensurePublication(pool, name, [ODD, 'public.plain'])).toEqual({
      created: false,
      added: ['public.plain'],
      removed: [],
    });
    expect(await ensurePublication(pool, name, ['public.plain'])).toEqual({
      created: false,
      added: [],
      removed: [ODD],
    });
  });
});
