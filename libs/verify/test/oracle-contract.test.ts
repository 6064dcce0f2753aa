import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TypeResolver, createRawTextPool } from '@distributary/pg-catalog';
import { describeSnapshotTable, readChunk } from '@distributary/pg-snapshot';
import { createTestDatabase, type TestDatabase } from '@distributary/testkit';
import { canonicalJson } from '../src/canonical-json';
import { SourceSnapshot } from '../src/oracle/source-snapshot';

/**
 * verify's oracle renders the type contract in SQL (oracle/contract-sql.ts); the pipeline decodes
 * PostgreSQL's text in TypeScript (pg-decode). They are two implementations of one contract: on a
 * table of awkward values they must agree exactly, or verify would report differences that are not
 * there (or the decoder has drifted from the contract). This test is the only place verify's code
 * meets the decoder.
 */
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('voracle');
  await db.sql(`
    CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
    CREATE DOMAIN money_amount AS numeric(12, 3);
    CREATE TYPE pair AS (a int, b text);
    CREATE TABLE odd_values (
      id int PRIMARY KEY, i2 int2, i8 int8, o oid, n numeric, f4 real, f8 double precision, b bool,
      t text, j json, jb jsonb, by bytea, d date, ts timestamp, tz timestamptz, tm time, ttz timetz,
      iv interval, u uuid, ip inet, m money, e mood, dm money_amount, c pair, r int4range,
      ai int[], at text[], a2 int[], atz timestamptz[], ajb jsonb[], aby bytea[], an numeric[], ad date[]);
    INSERT INTO odd_values VALUES
      (1, -32768, 9223372036854775807, 4294967295, 'NaN', '-0', '-0', true, 'astral 𝄞 "quoted" \\ back',
       '"just a string"', '{"big": 12345678901234567890, "tiny": 1e-400, "n": null}', '\\x00ff10',
       '0044-03-15 BC', '0044-03-15 12:00:00.5 BC', '2024-01-02 03:04:05.123456+05:30', '23:59:59.999999',
       '12:00:00+02', '1 year 2 mons -3 days 04:05:06.7', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '10.0.0.1/8',
       1234.56, 'happy', 1.5, ROW(1, 'x y'), '[1,5)',
       '{1,NULL,3}', '{"a b","c\\"d",NULL,""}', '{{1,2},{3,4}}', '{"2024-01-01 00:00:00+00","infinity"}',
       '{"{\\"k\\": 1.000000000000000000001}","null"}', '{"\\\\x01",NULL}', '{1.50,NaN,-Infinity}', '{2024-02-29,-infinity}'),
      (2, NULL, NULL, NULL, '${'9'.repeat(300)}.${'0'.repeat(999)}1', 'Infinity', '1e-300', false, '',
       'null', '[]', '\\x', 'infinity', '-infinity', '10000-01-01 00:00:00+00', NULL,
       NULL, '0', NULL, NULL, NULL, NULL, NULL, NULL, 'empty',
       '{}', '{}', NULL, NULL, NULL, NULL, NULL, NULL),
      (3, 1, -1, 0, '-0.000', 'NaN', '-Infinity', NULL, NULL, ' { "a" : 1 } ', '{"a": [1, 2.50]}', NULL,
       '2024-01-01', '2024-01-01 00:00:00', '0001-01-01 00:00:00+00 BC', NULL, NULL, NULL, NULL, NULL, NULL,
       'sad', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
});

afterAll(async () => {
  await db?.drop();
});

describe('the oracle and the pipeline decoder agree on the type contract', () => {
  it('renders every awkward value exactly as the decoder does', async () => {
    const table = 'public.odd_values';
    const pool = createRawTextPool(db.url, { max: 1 });
    let decoded: Record<string, unknown>[];
    try {
      const meta = await describeSnapshotTable(pool, table);
      decoded = (await readChunk(pool, meta, new TypeResolver(pool), null, 100)).rows;
    } finally {
      await pool.end();
    }
    const snapshot = await SourceSnapshot.open(db.url);
    const rendered: Record<string, unknown>[] = [];
    try {
      for await (const { rows } of snapshot.scan(table)) rendered.push(...rows);
    } finally {
      await snapshot.end();
    }
    const byId = (rows: Record<string, unknown>[]) =>
      [...rows].sort((a, b) => Number(a.id) - Number(b.id)).map((row) => canonicalJson(row));
    const expected = byId(decoded);
    const actual = byId(rendered);
    for (let i = 0; i < expected.length; i++) {
      const want = JSON.parse(expected[i]) as Record<string, unknown>;
      const have = JSON.parse(actual[i]) as Record<string, unknown>;
      const differing = Object.keys(want).filter((k) => canonicalJson(want[k]) !== canonicalJson(have[k]));
      expect(
        differing.map((k) => `${k}: decoder ${JSON.stringify(want[k])} oracle ${JSON.stringify(have[k])}`),
        `row ${String(want.id)}`,
      ).toEqual([]);
    }
    expect(actual).toEqual(expected);
    expect(rendered).toHaveLength(3);
  });
});
