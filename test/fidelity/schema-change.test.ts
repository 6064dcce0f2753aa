/**
 * Schema changes refresh old rows in every sink (issue 16): `ADD COLUMN … DEFAULT`, `ALTER COLUMN …
 * TYPE` and `DROP COLUMN` change every existing row without a WAL record per row; the connector's
 * catalog poll notices and re-snapshots the table (onSchemaChange: resync). Afterwards every row of
 * Elasticsearch and the Redis JSON and hash caches equals PostgreSQL's text through the type contract
 * (new fields with odd defaults on old rows, retyped values, dropped fields gone), and a view over the
 * table equals the same SELECT on the source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'pg';
import { createRawTextPool } from '@distributary/pg-catalog';
import { waitFor } from '@distributary/testkit';
import type { ColumnSpec } from './contract-oracle';
import { startFidelityPipeline, type FidelityPipeline } from './fidelity-pipeline';
import { contractState, deadLetters, sinkState, stateDifferences } from './sink-state';
import { viewAgainst } from './view-rows';

const TABLE = 'public."Schema ""Change"" T"';
const DDL = `CREATE TABLE ${TABLE} (id int8 PRIMARY KEY, grp text, qty int4, f float8, note text, stamp timestamptz)`;
const VIEW = {
  name: 'by-grp',
  sql: `SELECT grp, count(*) AS n, sum(qty) AS sq, max(qty) AS hq FROM ${TABLE} GROUP BY grp`,
};

describe('fidelity: schema changes refresh old rows in every sink', () => {
  let pipeline: FidelityPipeline;
  let source: Pool;
  const columns: ColumnSpec[] = [
    { name: 'id', sqlType: 'int8', family: 'text' },
    { name: 'grp', sqlType: 'text', family: 'text' },
    { name: 'qty', sqlType: 'int4', family: 'number' },
    { name: 'f', sqlType: 'float8', family: 'text' },
    { name: 'note', sqlType: 'text', family: 'text' },
    { name: 'stamp', sqlType: 'timestamptz', family: 'timestamptz' },
  ];

  beforeAll(async () => {
    pipeline = await startFidelityPipeline(DDL, TABLE, { dynamic: false }, { views: [VIEW] });
    source = createRawTextPool(pipeline.db.url, { max: 1, options: '-c TimeZone=UTC' });
    await pipeline.db.sql(`
      INSERT INTO ${TABLE} VALUES
        (1, 'a', 1, 0.1, 'one', '0044-03-15 12:00:00+00 BC'),
        (2, 'a', 2, '-0', NULL, 'infinity'),
        (3, 'b 😀', 3, 'NaN', E'tab\\t"q"', '2024-01-02 03:04:05.5+00'),
        (4, NULL, NULL, NULL, NULL, NULL)`);
  });

  afterAll(async () => {
    await source?.end();
    await pipeline?.stop();
  });

  async function viewDifferences(): Promise<string[]> {
    const { want, got } = await viewAgainst(pipeline, VIEW.sql);
    return JSON.stringify(want) === JSON.stringify(got) ? [] : [`view: want ${want.join(' ')} got ${got.join(' ')}`];
  }

  async function expectEverySinkEqualsSource(step: string, view = true): Promise<void> {
    const check = async (): Promise<string[]> => [
      ...stateDifferences(await sinkState(pipeline), await contractState(source, TABLE, columns)),
      ...(view ? await viewDifferences() : []),
    ];
    await waitFor(`every sink to equal the source after ${step}`, async () => (await check()).length === 0, {
      timeoutMs: 90_000,
    }).catch(() => undefined);
    expect(pipeline.connectorError(), 'the connector failed').toBeUndefined();
    expect(await check(), `sinks after ${step}`).toEqual([]);
    expect(await deadLetters(pipeline), `dead letters after ${step}`).toEqual([]);
  }

  it('the rows arrive', async () => {
    await expectEverySinkEqualsSource('inserts');
  });

  it('ADD COLUMN … DEFAULT: old rows get the default (exact jsonb, 1000-digit numeric, BC timestamp)', async () => {
    await pipeline.db.sql(`
      ALTER TABLE ${TABLE} ADD COLUMN "new ""j""" jsonb DEFAULT '{"big": 12345678901234567890, "tiny": 1e-400}';
      ALTER TABLE ${TABLE} ADD COLUMN n numeric DEFAULT ('0.' || repeat('0', 999) || '1')::numeric;
      ALTER TABLE ${TABLE} ADD COLUMN born timestamp DEFAULT '0001-01-01 00:00:00 BC'`);
    columns.push(
      { name: 'new "j"', sqlType: 'jsonb', family: 'json' },
      { name: 'n', sqlType: 'numeric', family: 'text' },
      { name: 'born', sqlType: 'timestamp', family: 'timestamp' },
    );
    await expectEverySinkEqualsSource('ADD COLUMN … DEFAULT');
  });

  it('ALTER COLUMN … TYPE: old rows get the new representation (int4 → numeric, float8 → text, text → jsonb)', async () => {
    await pipeline.db.sql(`
      ALTER TABLE ${TABLE} ALTER COLUMN qty TYPE numeric(12,3);
      ALTER TABLE ${TABLE} ALTER COLUMN f TYPE text;
      ALTER TABLE ${TABLE} ALTER COLUMN note TYPE jsonb USING to_jsonb(note)`);
    Object.assign(columns[2], { sqlType: 'numeric(12,3)', family: 'text' });
    Object.assign(columns[3], { sqlType: 'text', family: 'text' });
    Object.assign(columns[4], { sqlType: 'jsonb', family: 'json' });
    // The view reads qty: its mirrors and outputs had the old types. The running sink notices the shape
    // change (rows of the resync snapshot) and rebuilds itself from the log in the new shape — no restart.
    await expectEverySinkEqualsSource('ALTER COLUMN … TYPE');
  });

  it('DROP COLUMN: the field leaves every row of every sink', async () => {
    await pipeline.db.sql(`ALTER TABLE ${TABLE} DROP COLUMN stamp; ALTER TABLE ${TABLE} DROP COLUMN "new ""j"""`);
    columns.splice(
      columns.findIndex((c) => c.name === 'stamp'),
      1,
    );
    columns.splice(
      columns.findIndex((c) => c.name === 'new "j"'),
      1,
    );
    await expectEverySinkEqualsSource('DROP COLUMN');
  });

  it('rows written after the changes are exact too', async () => {
    await pipeline.db.sql(`INSERT INTO ${TABLE} (id, grp, qty, f, note) VALUES (5, 'a', 1.5, '1e-300', '"s"')`);
    await pipeline.db.sql(`UPDATE ${TABLE} SET qty = qty + 1 WHERE id = 1`);
    await expectEverySinkEqualsSource('writes after the changes');
  });
});
