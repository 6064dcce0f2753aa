/**
 * Column names Elasticsearch treats specially: metadata names (`_id`, `_source`), a name of spaces, and
 * dotted names that overlap another column (`a` and `a.b`: Elasticsearch reads a dot as an object path).
 * PostgreSQL allows them all. Every row is in the index exactly as the contract says, or dead-lettered
 * with a reason that names the field; the caches hold every row exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'pg';
import { createRawTextPool } from '@distributary/pg-catalog';
import { waitFor } from '@distributary/testkit';
import type { ColumnSpec } from './contract-oracle';
import { startFidelityPipeline, type FidelityPipeline } from './fidelity-pipeline';
import { contractState, deadLetters, differences, sinkState } from './sink-state';

const TABLE = 'public.es_names';
const COLUMNS: ColumnSpec[] = [
  { name: 'id', sqlType: 'int4 PRIMARY KEY', family: 'number' },
  { name: '_id', sqlType: 'text', family: 'text' },
  { name: '_source', sqlType: 'text', family: 'text' },
  { name: ' ', sqlType: 'text', family: 'text' },
  { name: 'a', sqlType: 'text', family: 'text' },
  { name: 'a.b', sqlType: 'text', family: 'text' },
];
const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

describe('fidelity: column names Elasticsearch treats specially', () => {
  let pipeline: FidelityPipeline;
  let source: Pool;

  beforeAll(async () => {
    pipeline = await startFidelityPipeline(
      `CREATE TABLE ${TABLE} (${COLUMNS.map((c) => `${quote(c.name)} ${c.sqlType}`).join(', ')})`,
      TABLE,
    );
    source = createRawTextPool(pipeline.db.url, { max: 1, options: '-c TimeZone=UTC' });
  });

  afterAll(async () => {
    await source?.end();
    await pipeline?.stop();
  });

  it('are indexed exactly or dead-lettered with the field named; the caches are exact', async () => {
    await pipeline.db.sql(
      `INSERT INTO ${TABLE} VALUES (1, 'x', 'y', 'z', 'plain', 'dotted'), (2, NULL, NULL, NULL, NULL, NULL)`,
    );
    const want = await contractState(source, TABLE, COLUMNS);
    await waitFor(
      'the caches, and the index or dead letters',
      async () => {
        const got = await sinkState(pipeline);
        return got.json.size === 2 && got.es.size + (await deadLetters(pipeline)).length >= 2;
      },
      { timeoutMs: 20_000 },
    ).catch(() => undefined);
    const got = await sinkState(pipeline);
    expect(differences(got.json, want.json), 'Redis JSON').toEqual([]);
    expect(differences(got.hash, want.hash), 'Redis hash').toEqual([]);
    const letters = await deadLetters(pipeline);
    // `_id`, `_source` are metadata fields and ' ' no field name: every row is refused, and the dead letter says why and what to do.
    for (const letter of letters)
      expect(letter).toMatch(
        /dlq:search\}:log: Column "(_id|_source| )" has (the name of Elasticsearch's metadata field|a name of only whitespace)/,
      );
    expect(differences(got.es, new Map([...want.es].filter(([id]) => got.es.has(id)))), 'Elasticsearch').toEqual([]);
    expect(got.es.size + letters.length).toBe(2);
  });

  it('once those columns are dropped: overlapping dotted names (a, a.b) are an explained dead letter', async () => {
    const before = (await deadLetters(pipeline)).length;
    await pipeline.db.sql(`ALTER TABLE ${TABLE} DROP COLUMN "_id", DROP COLUMN "_source", DROP COLUMN " "`);
    const columns = COLUMNS.filter((c) => !c.name.startsWith('_') && c.name !== ' ');
    const want = await contractState(source, TABLE, columns);
    // Row 1 holds both a and a.b: explained; row 2 (NULLs) is indexed.
    const explained = /dlq:search\}:log: Column "a" and a column named "a\.…" collide/;
    const check = async (): Promise<string[]> => {
      const got = await sinkState(pipeline);
      return [
        ...differences(got.es, new Map([...want.es].filter(([id]) => id !== '1'))),
        ...differences(got.json, want.json),
        ...(await deadLetters(pipeline)).slice(before).filter((letter) => !explained.test(letter)),
      ];
    };
    await waitFor('every sink', async () => (await check()).length === 0, { timeoutMs: 20_000 }).catch(() => undefined);
    expect(await check()).toEqual([]);
    expect((await deadLetters(pipeline)).slice(before).length).toBeGreaterThan(0);
  });
});
