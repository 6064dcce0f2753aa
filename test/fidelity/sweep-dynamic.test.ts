/**
 * The type sweep into an Elasticsearch index with dynamic mapping (no mappings given): the first
 * document of a column fixes its field type, so a later legal value may not fit (a date field and
 * 'infinity', a long and a jsonb number beyond 2^63…). Every row is then either in the index exactly
 * as the contract says, or dead-lettered with an explanation that names the column and a mapping that
 * holds the value — never dropped silently, never stored changed. The caches hold every row exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'pg';
import { createRawTextPool } from '@distributary/pg-catalog';
import { waitFor } from '@distributary/testkit';
import { startFidelityPipeline, type FidelityPipeline } from './fidelity-pipeline';
import { contractState, deadLetters, differences, sinkState } from './sink-state';
import { SWEEP_DDL, SWEEP_ROWS, SWEEP_SPECS, SWEEP_TABLE, sweepInsert } from './sweep-table';

describe('fidelity: the type sweep into a dynamically mapped index', () => {
  let pipeline: FidelityPipeline;
  let source: Pool;

  beforeAll(async () => {
    pipeline = await startFidelityPipeline(SWEEP_DDL, SWEEP_TABLE);
    source = createRawTextPool(pipeline.db.url, { max: 1, options: '-c TimeZone=UTC' });
  });

  afterAll(async () => {
    await source?.end();
    await pipeline?.stop();
  });

  it('every row is exact in the index or an explained dead letter; the caches are exact', async () => {
    for (let i = 1; i <= SWEEP_ROWS; i++) await pipeline.db.sql(sweepInsert(i));
    const want = await contractState(source, SWEEP_TABLE, SWEEP_SPECS);
    const settled = async (): Promise<boolean> => {
      const got = await sinkState(pipeline);
      const letters = await deadLetters(pipeline);
      return (
        got.json.size === want.json.size &&
        got.hash.size === want.hash.size &&
        got.es.size + letters.length >= want.es.size
      );
    };
    await waitFor('every row in the caches, and indexed or dead-lettered', settled, { timeoutMs: 30_000 }).catch(
      () => undefined,
    );
    const got = await sinkState(pipeline);
    expect(differences(got.json, want.json), 'Redis JSON').toEqual([]);
    expect(differences(got.hash, want.hash), 'Redis hash').toEqual([]);
    const letters = await deadLetters(pipeline);
    const indexed = new Map([...want.es].filter(([id]) => got.es.has(id)));
    expect(differences(got.es, indexed), 'Elasticsearch: indexed rows are exact').toEqual([]);
    expect(got.es.size + letters.length, JSON.stringify(letters)).toBe(want.es.size);
    const explained =
      /Elasticsearch's mapping \[[^\]]+\] of field "[^"]+" cannot hold this legal value of column "[^"]+"/;
    expect(letters.filter((letter) => !explained.test(letter)).map((l) => l.slice(0, 300))).toEqual([]);
  });
});
