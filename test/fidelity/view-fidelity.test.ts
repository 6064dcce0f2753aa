/**
 * Fidelity of the view sink: PostgreSQL views maintained from the real log (connector → worker → view
 * sink) over a table of odd values — sum/count/min/max/avg over a 1000-digit numeric, real and double
 * with NaN, -0 and ±Infinity, intervals and int8, grouped by columns of odd types (unicode text with
 * quotes, NULL, timestamptz ±infinity and BC, numeric NaN/Infinity, enums with odd labels, uuid, inet,
 * interval). After inserts, updates (a row moving between groups, a value becoming NaN), the issue's
 * NaN retraction and deletes emptying a group, every view equals the same SELECT on the source,
 * compared as PostgreSQL's text of the whole row; `distributary verify` (an independent oracle) is
 * clean, and reports each planted drift.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanKeys } from '@distributary/sink-redis-cache';
import { waitFor } from '@distributary/testkit';
import { verifySink } from '@distributary/verify';
import { runInProcess } from '../../apps/cli/src/test-support/in-process';
import { startFidelityPipeline, type FidelityPipeline } from './fidelity-pipeline';
import { viewAgainst } from './view-rows';

const TABLE = 'public."Odd Facts"';
const DDL = `
  CREATE TYPE "odd mood" AS ENUM ('', 'a "quoted" label', 'ünï 😀', 'with,comma');
  CREATE TABLE ${TABLE} (
    id int8 PRIMARY KEY, g_text text, g_bool bool, g_ts timestamptz, g_date date, g_num numeric,
    g_enum "odd mood", g_uuid uuid, g_inet inet, g_iv interval,
    x numeric, f4 real, f8 double precision, iv interval, i8 int8, g_bytea bytea, g_arr timestamp[]
  );`;

const AGGREGATES = `count(*) AS n, count(x) AS nx, sum(x) AS sx, avg(x) AS ax, min(x) AS lx, max(x) AS hx,
  sum(f8) AS sf8, avg(f8) AS af8, min(f8) AS lf8, max(f8) AS hf8,
  sum(f4) AS sf4, avg(f4) AS af4, min(f4) AS lf4, max(f4) AS hf4,
  sum(iv) AS siv, avg(iv) AS aiv, min(iv) AS liv, max(iv) AS hiv, sum(i8) AS si8, avg(i8) AS ai8, max(i8) AS hi8`;

const VIEWS: { name: string; sql: string; compare?: string }[] = [
  { name: 'by-text', sql: `SELECT g_text, ${AGGREGATES} FROM ${TABLE} GROUP BY g_text` },
  { name: 'by-time', sql: `SELECT g_bool, g_ts, g_date, ${AGGREGATES} FROM ${TABLE} GROUP BY g_bool, g_ts, g_date` },
  {
    name: 'by-num',
    sql: `SELECT g_num, ${AGGREGATES} FROM ${TABLE} GROUP BY g_num`,
    // PostgreSQL groups 1.5 and 1.50 together and shows either; the view shows the group trimmed (documented).
    compare: `SELECT trim_scale(g_num), ${AGGREGATES} FROM ${TABLE} GROUP BY g_num`,
  },
  {
    name: 'by-odd',
    sql: `SELECT g_enum, g_uuid, g_inet, g_iv, g_bytea, g_arr, ${AGGREGATES} FROM ${TABLE} WHERE f8 IS NOT NULL GROUP BY g_enum, g_uuid, g_inet, g_iv, g_bytea, g_arr`,
  },
];

const HUGE = `(repeat('9', 600) || '.' || repeat('1', 399) || '7')`;
const TINY = `('0.' || repeat('0', 999) || '1')`;

/** Floats are exact binary fractions, so PostgreSQL's scan-order sum equals the view's exact one. */
const INSERTS = `
  INSERT INTO ${TABLE} VALUES
    (1, 'plain', true, '2024-01-02 03:04:05.5+02', '2024-02-29', 1.50, '', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '::1/128', '1 day',
        ${HUGE}::numeric, 1.5, 0.25, '1 year 2 mons 3 days 04:05:06.789', 9223372036854775807, '\\x00ff', ARRAY['0044-03-15 12:00:00 BC', 'infinity', NULL]::timestamp[]),
    (2, 'plain', true, '2024-01-02 03:04:05.5+02', '2024-02-29', 1.5, '', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '::1/128', '1 day',
        ${TINY}::numeric, '-0', '-0', '-1 day +00:00:00.000001', 9223372036854775807, '\\x00ff', ARRAY['0044-03-15 12:00:00 BC', 'infinity', NULL]::timestamp[]),
    (3, E'quote " back \\\\ tab \\t 😀𝄞 ‏עברית‏', false, 'infinity', 'infinity', 'NaN', 'a "quoted" label', NULL, '10.0.0.0/8', '-178000000 years',
        'NaN', 'NaN', 'NaN', '1 mon', -9223372036854775808, '', '{}'),
    (4, E'quote " back \\\\ tab \\t 😀𝄞 ‏עברית‏', false, '-infinity', '-infinity', 'Infinity', 'ünï 😀', NULL, NULL, NULL,
        'Infinity', 'Infinity', 'Infinity', NULL, 1, NULL, NULL),
    (5, '', NULL, '0044-03-15 12:00:00+00 BC', '4713-01-01 BC', '-Infinity', 'with,comma', '00000000-0000-0000-0000-000000000000', '0.0.0.0/0', '00:00:00',
        '-Infinity', '-Infinity', '-Infinity', '-00:00:00.000001', -1, '\\x00', '{"10000-01-01 00:00:00"}'),
    (6, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -0.000, '-0', '-0', NULL, NULL, NULL, NULL),
    (7, 'plain', true, '2024-01-02 03:04:05.5+02', '2024-02-29', 1.500, '', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '::1/128', '1 day',
        10.000, 3.4028235e38, 1e150, '2 days', 2, '\\x00ff', ARRAY['0044-03-15 12:00:00 BC', 'infinity', NULL]::timestamp[]),
    (8, 'nan row', false, '2024-01-01 00:00:00+00', '2024-01-01', 0, '', NULL, NULL, NULL, 'NaN', 'NaN', 'NaN', '1 day', 0, NULL, NULL),
    (9, 'nan row', false, '2024-01-01 00:00:00+00', '2024-01-01', 0, '', NULL, NULL, NULL, 1, 1, 1, '1 day', 0, NULL, NULL);`;

describe('fidelity: views over odd values equal the same SELECT on the source', () => {
  let pipeline: FidelityPipeline;

  beforeAll(async () => {
    pipeline = await startFidelityPipeline(DDL, TABLE, undefined, { views: VIEWS });
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  async function differences(): Promise<string[]> {
    const out: string[] = [];
    for (const [i, view] of VIEWS.entries()) {
      const { want, got } = await viewAgainst(pipeline, view.compare ?? view.sql, i);
      for (const row of want) if (!got.includes(row)) out.push(`${view.name}: missing ${row.slice(0, 300)}`);
      for (const row of got) if (!want.includes(row)) out.push(`${view.name}: unexpected ${row.slice(0, 300)}`);
    }
    return out;
  }

  async function expectViewsEqualSource(step: string): Promise<void> {
    await waitFor(`every view to equal the source after ${step}`, async () => (await differences()).length === 0, {
      timeoutMs: 20_000,
    }).catch(() => undefined);
    expect(pipeline.connectorError(), 'the connector failed').toBeUndefined();
    expect(await differences(), `views after ${step}`).toEqual([]);
    for (const view of VIEWS)
      expect(await scanKeys(pipeline.redis, `{${pipeline.alias}:dlq:${view.name}}*`), 'dead letters').toEqual([]);
  }

  async function verifyAll(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const view of pipeline.views) {
      const result = await verifySink(pipeline.config, view, { redis: pipeline.redis }, { timeoutMs: 30_000 });
      out[view.name] = result.status === 'clean' ? 'clean' : JSON.stringify(result).slice(0, 2000);
    }
    return out;
  }

  it('inserts: odd aggregate arguments and odd group keys', async () => {
    await pipeline.db.sql(INSERTS);
    await expectViewsEqualSource('inserts');
  });

  it('updates: a row moves to another group, a value becomes NaN, -0 and back', async () => {
    await pipeline.db.sql(`UPDATE ${TABLE} SET g_text = 'plain', g_num = 1.5000, x = 'NaN', f8 = '-0' WHERE id = 6`);
    await pipeline.db.sql(`UPDATE ${TABLE} SET f4 = 'NaN', iv = '-1 mon' WHERE id = 7`);
    await pipeline.db.sql(`UPDATE ${TABLE} SET x = 2, f4 = 2, f8 = 0.5 WHERE id = 6`);
    await expectViewsEqualSource('updates');
  });

  it('a NaN is retracted when its row is deleted (the issue’s example)', async () => {
    await pipeline.db.sql(`DELETE FROM ${TABLE} WHERE id = 8`);
    await expectViewsEqualSource('deleting the NaN row');
    const [row] = await pipeline.db.sql<{ sx: string; sf8: string; sf4: string }>(
      `SELECT sx::text, sf8::text, sf4::text FROM ${pipeline.views[0].view.table} WHERE g_text = 'nan row'`,
    );
    expect(row).toEqual({ sx: '1', sf8: '1', sf4: '1' });
  });

  it('deletes empty groups (the 1000-digit values leave; the largest scale is recomputed)', async () => {
    await pipeline.db.sql(`DELETE FROM ${TABLE} WHERE id IN (1, 5, 9)`);
    await pipeline.db.sql(`UPDATE ${TABLE} SET x = 3.25 WHERE id = 2`);
    await expectViewsEqualSource('deletes');
  });

  it('verify is clean, and reports every planted drift', async () => {
    await pipeline.db.sql(INSERTS.replace(/\((\d),/g, '(1$1,'));
    await expectViewsEqualSource('inserting again');
    expect(await verifyAll()).toEqual(Object.fromEntries(VIEWS.map((v) => [v.name, 'clean'])));

    const [byText, byTime, byNum, byOdd] = pipeline.views.map((v) => v.view.table);
    // A last-decimal change of a 1000-digit sum; a NaN sum shown as a number; -0 shown as 0; a group lost.
    await pipeline.db.sql(`UPDATE ${byText} SET sx = sx + ${TINY}::numeric WHERE g_text = 'plain'`);
    await pipeline.db.sql(`UPDATE ${byTime} SET sf8 = 0 WHERE g_ts = 'infinity'`);
    await pipeline.db.sql(`UPDATE ${byNum} SET lf8 = 0 WHERE g_num IS NULL`);
    await pipeline.db.sql(`DELETE FROM ${byOdd} WHERE g_enum = 'with,comma'`);
    const results: Record<string, unknown> = {};
    for (const view of pipeline.views)
      results[view.name] = await verifySink(pipeline.config, view, { redis: pipeline.redis }, { timeoutMs: 30_000 });
    expect(results['by-text']).toMatchObject({ status: 'different', differentCount: 1, missingCount: 0 });
    expect(results['by-time']).toMatchObject({ status: 'different', differentCount: 1, missingCount: 0 });
    expect(results['by-num']).toMatchObject({ status: 'different', differentCount: 1, missingCount: 0 });
    expect(results['by-odd']).toMatchObject({ status: 'different', differentCount: 0, missingCount: 1 });
  });

  it('distributary verify (the CLI) exits 1 on the drifts; --repair converges every view; a second verify is clean', async () => {
    const report = await runInProcess(['verify', '--config', pipeline.configFile, '--json']);
    expect(report.code, report.stderr).toBe(1);
    const before = JSON.parse(report.stdout) as { before: { sink: string; status: string } }[];
    for (const view of VIEWS)
      expect(before.find((o) => o.before.sink === view.name)?.before.status, view.name).toBe('different');
    const repaired = await runInProcess([
      'verify',
      '--config',
      pipeline.configFile,
      '--repair',
      '--json',
      '--pickup',
      '30000',
    ]);
    const outcomes = JSON.parse(repaired.stdout) as {
      before: { sink: string; status: string };
      after?: { status: string };
    }[];
    for (const outcome of outcomes)
      expect(outcome.after?.status ?? outcome.before.status, JSON.stringify(outcome).slice(0, 1500)).toBe('clean');
    expect(repaired.code, repaired.stderr).toBe(0);
    await expectViewsEqualSource('verify --repair');
    const again = await runInProcess(['verify', '--config', pipeline.configFile, '--json']);
    expect(again.code, again.stdout.slice(0, 2000)).toBe(0);
  });
});
