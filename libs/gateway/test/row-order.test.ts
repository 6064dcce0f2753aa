/**
 * The top-N comparator (row-order.ts) against PostgreSQL itself: for every orderable type, edge
 * values (NULL, NaN, ±Infinity, -0, BC dates, long years, fractional seconds, astral characters,
 * ties broken by the key) are stored in a real table, read back as the type contract converts them,
 * and sorted in JS; the order must equal `ORDER BY v [COLLATE "C"] ASC/DESC, id`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRawTextPool, TypeResolver } from '@distributary/pg-catalog';
import { convertValue } from '@distributary/pg-decode';
import { createTestDatabase, type TestDatabase } from '@distributary/testkit';
import type { Pool } from 'pg';
import { rowComparator } from '../src';

const VALUES: Record<string, string[]> = {
  int2: ['0', '-32768', '32767', '7', '7', '-1'],
  int4: ['0', '-2147483648', '2147483647', '10', '9', '-10'],
  int8: ['9223372036854775807', '-9223372036854775808', '9007199254740993', '9007199254740992', '0', '0'],
  numeric: [
    'NaN',
    'Infinity',
    '-Infinity',
    '0',
    '-0',
    '1.50',
    '1.5',
    '-1.5',
    '10',
    '9.999',
    '-0.001',
    '12345678901234567890.1',
    '0.0001',
  ],
  float4: ['NaN', 'Infinity', '-Infinity', '0', '-0', '1.5', '0.1', '-3.4e38', '1e-45'],
  float8: ['NaN', 'Infinity', '-Infinity', '0', '-0', '0.1', '0.30000000000000004', '1e-300', '-1e300', '5e-324'],
  text: ['', 'a', 'B', 'b', 'ä', 'z', '😀', '\uffff', 'ab', 'a b', 'A'],
  varchar: ['x', 'X', 'xx', '', 'é', '𝄞'],
  uuid: [
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    '10000000-0000-0000-0000-000000000000',
  ],
  bool: ['true', 'false', 'true'],
  date: [
    '2024-02-29',
    '0044-03-15 BC',
    '0001-01-01 BC',
    '0001-01-01',
    'infinity',
    '-infinity',
    '12345-01-01',
    '2024-02-28',
  ],
  timestamp: [
    '2024-01-02 03:04:05',
    '2024-01-02 03:04:05.5',
    '2024-01-02 03:04:05.123456',
    '2024-01-02 03:04:05.1',
    '0044-03-15 12:00 BC',
    'infinity',
    '-infinity',
    '10000-01-01 00:00',
  ],
  timestamptz: [
    '2024-01-02 03:04:05+00',
    '2024-01-02 03:04:05.5+00',
    '2024-01-02 05:04:04+02',
    '0001-01-01 00:00:00+00 BC',
    'infinity',
    '-infinity',
    '2024-01-02 03:04:05.000001+00',
  ],
};

let db: TestDatabase;
let pool: Pool;
beforeAll(async () => {
  db = await createTestDatabase('roworder');
  pool = createRawTextPool(db.url, { max: 2 });
}, 60_000);
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('top-N comparator equals PostgreSQL ORDER BY', () => {
  for (const [type, values] of Object.entries(VALUES)) {
    it(type, async () => {
      await db.sql(`CREATE TABLE "t_${type}" (id int PRIMARY KEY, v ${type})`);
      const all = [...values, null];
      for (const [i, value] of all.entries())
        await db.sql(`INSERT INTO "t_${type}" VALUES ($1, $2::${type})`, [i + 1, value]);
      const collate = type === 'text' || type === 'varchar' ? ' COLLATE "C"' : '';
      const types = new TypeResolver(pool);
      const { rows: meta } = await pool.query(
        `SELECT atttypid::int AS oid FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'v'`,
        [`t_${type}`],
      );
      const oid = Number((meta[0] as { oid: string }).oid);
      const kind = await types.resolve(oid);
      const read = await pool.query({ text: `SELECT id, v FROM "t_${type}"`, rowMode: 'array' });
      const rows = (read.rows as [string, string | null][]).map(([id, v]) => ({
        id: Number(id),
        v: convertValue(v, kind),
      }));
      const columns = [
        { name: 'id', typeOid: 23 },
        { name: 'v', typeOid: oid },
      ];
      for (const direction of ['asc', 'desc'] as const) {
        const compare = rowComparator(`t_${type}`, [{ column: 'v', direction }], ['id'], columns);
        const js = [...rows].sort(compare).map((r) => r.id);
        const sql = await db.sql(`SELECT id FROM "t_${type}" ORDER BY v${collate} ${direction}, id`);
        expect(js, direction).toEqual(sql.map((r) => r.id));
      }
    });
  }
});
