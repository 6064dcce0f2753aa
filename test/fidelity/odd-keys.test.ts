/**
 * Primary keys of odd text: every sink is keyed by the key's text (Elasticsearch `_id` and Redis keys
 * from the `{id}` template), so slashes, quotes, spaces, `%`, `{}`, unicode and a key at
 * Elasticsearch's 512-byte `_id` limit reach every sink exactly; a key Elasticsearch cannot hold (the
 * empty string, more than 512 bytes) is dead-lettered with an explanation, never dropped silently,
 * while the caches hold it. `verify` is clean.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'pg';
import { createRawTextPool } from '@distributary/pg-catalog';
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

/** Keys of other types: the key's text in the log (the type contract) is the document id and cache key. */
const TYPED_KEYS: { sqlType: string; family: ColumnSpec['family']; values: string[] }[] = [
  {
    sqlType: 'timestamptz',
    family: 'timestamptz',
    values: ['0044-03-15 12:00:00+00 BC', 'infinity', '2024-01-02 03:04:05.5+02'],
  },
  { sqlType: 'numeric', family: 'text', values: ['NaN', '1.50', '-0.0', '1e-20', 'Infinity'] },
  { sqlType: 'float8', family: 'text', values: ['-0', 'NaN', '1e-300', '-Infinity'] },
  { sqlType: 'bytea', family: 'bytea', values: ['\\x00', '\\xfbff3d'] },
  { sqlType: 'date', family: 'date', values: ['4713-01-01 BC', '-infinity'] },
];

describe.each(TYPED_KEYS)('fidelity: primary keys of type $sqlType', ({ sqlType, family, values }) => {
  let pipeline: FidelityPipeline;
  let source: Pool;
  const table = 'public.typed_keys';
  const columns: ColumnSpec[] = [
    { name: 'id', sqlType, family },
    { name: 'v', sqlType: 'int4', family: 'number' },
  ];

  beforeAll(async () => {
    pipeline = await startFidelityPipeline(`CREATE TABLE ${table} (id ${sqlType} PRIMARY KEY, v int4)`, table, {
      dynamic: false,
    });
    source = createRawTextPool(pipeline.db.url, { max: 1, options: '-c TimeZone=UTC' });
  });

  afterAll(async () => {
    await source?.end();
    await pipeline?.stop();
  });

  it('every sink is keyed by the key as the contract writes it; verify is clean', async () => {
    for (const [i, value] of values.entries())
      await pipeline.db.sql(`INSERT INTO ${table} VALUES ($1, $2)`, [value, i]);
    await pipeline.db.sql(`UPDATE ${table} SET v = v + 10`);
    // The contract's text of the key, without JSON quotes, is the id.
    const want = await contractState(source, table, columns);
    const keyed = (map: Map<string, unknown>): Map<string, unknown> =>
      new Map([...map].map(([, value]) => [keyOf(value), value]));
    const keyOf = (value: unknown): string => {
      const document = typeof value === 'string' ? value : JSON.stringify(value);
      const id =
        typeof value === 'string' ? (JSON.parse(document) as { id: unknown }).id : (value as { id: string }).id;
      return String(id);
    };
    const expected = { es: keyed(want.es), json: keyed(want.json), hash: keyed(want.hash) } as typeof want;
    const check = async (): Promise<string[]> => stateDifferences(await sinkState(pipeline), expected);
    await waitFor('every sink', async () => (await check()).length === 0, { timeoutMs: 20_000 }).catch(() => undefined);
    expect([...(await check()), ...(await deadLetters(pipeline))]).toEqual([]);
    for (const sink of pipeline.config.sinks) {
      const result = await verifySink(pipeline.config, sink, { redis: pipeline.redis }, { timeoutMs: 30_000 });
      expect(result, JSON.stringify(result).slice(0, 1500)).toMatchObject({ status: 'clean' });
    }
  });
});
