/**
 * Primary keys of odd text: every sink is keyed by the key's text (Elasticsearch `_id` and Redis keys
 * from the `{id}` template), so slashes, quotes, spaces, `%`, `{}`, unicode and a key at
 * Elasticsearch's 512-byte `_id` limit reach every sink exactly; a key Elasticsearch cannot hold (the
 * empty string, more than 512 bytes) is dead-lettered with an explanation, never dropped silently,
 * while the caches hold it. `verify` is clean.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'pg';
import { createRawTextPool } from '@distributary/pg-source';
import { waitFor } from '@distributary/testkit';
import { verifySink } from '@distributary/verify';
import type { ColumnSpec } from './contract-oracle';
import { startFidelityPipeline, type FidelityPipeline } from './fidelity-pipeline';
import { contractState, deadLetters, sinkState, stateDifferences } from './sink-state';

const TABLE = 'public.odd_keys';
const COLUMNS: ColumnSpec[] = [
  { name: 'id', sqlType: 'text PRIMARY KEY', family: 'text' },
  { name: 'v', sqlType: 'numeric', family: 'text' },
];
const KEYS = [
  'a/b?c#d',
  'with space',
  '100%',
  '{braces}',
  'quote"\'',
  'back\\slash',
  '😀 ünï עברית',
  '..',
  '*',
  'x'.repeat(512),
];
/** Keys Elasticsearch refuses as an _id: empty, and longer than 512 bytes. */
const TOO_ODD = ['', 'é'.repeat(257)];

describe('fidelity: odd primary keys', () => {
  let pipeline: FidelityPipeline;
  let source: Pool;

  beforeAll(async () => {
    pipeline = await startFidelityPipeline(`CREATE TABLE ${TABLE} (id text PRIMARY KEY, v numeric)`, TABLE, {
      dynamic: false,
    });
    source = createRawTextPool(pipeline.db.url, { max: 1, options: '-c TimeZone=UTC' });
  });

  afterAll(async () => {
    await source?.end();
    await pipeline?.stop();
  });

  it('reach every sink keyed exactly; keys Elasticsearch cannot hold are explained dead letters', async () => {
    for (const [i, key] of [...KEYS, ...TOO_ODD].entries())
      await pipeline.db.sql(`INSERT INTO ${TABLE} VALUES ($1, $2)`, [key, `${i}.50`]);
    const want = await contractState(source, TABLE, COLUMNS);
    for (const key of TOO_ODD) want.es.delete(key);
    const check = async (): Promise<string[]> => stateDifferences(await sinkState(pipeline), want);
    await waitFor('every sink', async () => (await check()).length === 0, { timeoutMs: 20_000 }).catch(() => undefined);
    expect(await check()).toEqual([]);
    const letters = await waitFor('the dead letters', async () => {
      const found = await deadLetters(pipeline);
      return found.length >= TOO_ODD.length ? found : undefined;
    }).catch(() => deadLetters(pipeline));
    expect(letters).toHaveLength(TOO_ODD.length);
    for (const letter of letters) expect(letter).toMatch(/dlq:search[\s\S]*\b_?id\b/);
    for (const sink of pipeline.config.sinks) {
      const result = await verifySink(pipeline.config, sink, { redis: pipeline.redis }, { timeoutMs: 30_000 });
      const expected =
        sink.name === 'search' ? { status: 'different', missingCount: TOO_ODD.length } : { status: 'clean' };
      expect(result, JSON.stringify(result).slice(0, 1500)).toMatchObject({
        ...expected,
        differentCount: 0,
        extraCount: 0,
      });
    }
  });
});
