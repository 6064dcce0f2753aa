/**
 * Fidelity: a table with a column of every kind of PostgreSQL type, streamed through the real
 * connector into the Elasticsearch sink and the Redis JSON and hash caches. After every step — inserts,
 * updates that leave a TOASTed value unchanged, a key change, a delete, a connector restart, TRUNCATE —
 * every sink holds exactly what PostgreSQL's own text output says through the type contract
 * (contract-oracle.ts, docs/types.md): the whole document text is compared, byte for byte.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'pg';
import { createRawTextPool } from '@distributary/pg-catalog';
import { waitFor } from '@distributary/testkit';
import { verifySink } from '@distributary/verify';
import { expectedDocument, expectedHash, oracleSql } from './contract-oracle';
import { COLUMNS, DDL, NULL_ROW, ODD_ROW, PLAIN_ROW, TABLE } from './fidelity-table';
import { startFidelityPipeline, type FidelityPipeline } from './fidelity-pipeline';
import { deadLetters, differences, sinkState } from './sink-state';

describe('fidelity: every type through every sink, byte for byte', () => {
  let pipeline: FidelityPipeline;
  let source: Pool;

  beforeAll(async () => {
    pipeline = await startFidelityPipeline(DDL, TABLE, {
      // _source holds every value exactly; index only what every legal value of the column fits.
      dynamic: false,
      properties: { c_text: { type: 'text' }, c_jsonb: { type: 'flattened' } },
    });
    source = createRawTextPool(pipeline.db.url, { max: 1, options: '-c TimeZone=UTC' });
  });

  afterAll(async () => {
    await source?.end();
    await pipeline?.stop();
  });

  interface Expected {
    document: string;
    hash: Record<string, string>;
    /** json with duplicate keys: legal in PostgreSQL, refused by Elasticsearch (an explained dead letter). */
    duplicateKeys: boolean;
  }

  async function expected(): Promise<Map<string, Expected>> {
    const { rows } = await source.query({
      text: `SELECT ${COLUMNS.map(oracleSql).join(', ')}, c_json::text LIKE '%"dup":1, "dup":2%' FROM ${TABLE} ORDER BY id`,
      rowMode: 'array',
    });
    const out = new Map<string, Expected>();
    for (const row of rows as (string | null)[][])
      out.set(row[0] as string, {
        document: expectedDocument(COLUMNS, row),
        hash: expectedHash(COLUMNS, row),
        duplicateKeys: row[COLUMNS.length] === 't',
      });
    return out;
  }

  /** Waits until every sink equals the source through the contract, then asserts it value by value. */
  async function expectSinksEqualSource(step: string): Promise<void> {
    const want = await expected();
    const documents = new Map([...want].map(([id, v]) => [id, v.document]));
    const searchable = new Map([...want].filter(([, v]) => !v.duplicateKeys).map(([id, v]) => [id, v.document]));
    const hashes = new Map([...want].map(([id, v]) => [id, v.hash]));
    const same = (a: Map<string, unknown>, b: Map<string, unknown>): boolean => differences(a, b).length === 0;
    await waitFor(
      `every sink to equal the source after ${step}`,
      async () => {
        const got = await sinkState(pipeline);
        return same(got.es, searchable) && same(got.json, documents) && same(got.hash, hashes);
      },
      { timeoutMs: 20_000 },
    ).catch(() => undefined);
    const got = await sinkState(pipeline);
    expect(pipeline.connectorError(), 'the connector failed').toBeUndefined();
    for (const letter of await deadLetters(pipeline))
      expect(letter, `dead letters after ${step}`).toMatch(/^\S+dlq:search\S+ A json column holds duplicate keys/);
    expect(differences(got.json, documents), `Redis JSON cache after ${step}`).toEqual([]);
    expect(differences(got.hash, hashes), `Redis hash cache after ${step}`).toEqual([]);
    expect(differences(got.es, searchable), `Elasticsearch _source after ${step}`).toEqual([]);
  }

  it('inserts: odd values of every type, an all-NULL row, 2^63−1 as the key', async () => {
    await pipeline.db.sql(`${ODD_ROW}; ${NULL_ROW}; ${PLAIN_ROW}`);
    await waitFor('the duplicate-key json row to be dead-lettered by Elasticsearch, explained', async () =>
      (await deadLetters(pipeline)).some((letter) => letter.includes('duplicate keys')),
    );
    const [{ toast }] = await pipeline.db.sql<{ toast: string }>(
      `SELECT reltoastrelid::regclass::text AS toast FROM pg_class WHERE oid = '${TABLE}'::regclass`,
    );
    const [{ chunks }] = await pipeline.db.sql<{ chunks: number }>(`SELECT count(*)::int AS chunks FROM ${toast}`);
    expect(chunks).toBeGreaterThan(0); // c_toast lives out of line
    await expectSinksEqualSource('inserts');
  });

  it('updates that leave the TOASTed value unchanged keep it; other values change exactly', async () => {
    await pipeline.db.sql(`UPDATE ${TABLE} SET c_text = 'updated', c_float4 = 'Infinity' WHERE id = 1`);
    await pipeline.db.sql(
      `UPDATE ${TABLE} SET c_jsonb = '{"x": -0.0, "y": 1e-400}', c_float8 = '-0', c_json = 'null' WHERE id = 9223372036854775807`,
    );
    await expectSinksEqualSource('updates');
  });

  it('a key change moves the row; a delete removes it', async () => {
    await pipeline.db.sql(`UPDATE ${TABLE} SET id = 4 WHERE id = 1`);
    await pipeline.db.sql(`DELETE FROM ${TABLE} WHERE id = 2`);
    await expectSinksEqualSource('a key change and a delete');
  });

  it('after a connector restart values stay exact (TOAST filled from the log)', async () => {
    await pipeline.restartConnector();
    await pipeline.db.sql(`UPDATE ${TABLE} SET c_int2 = 7 WHERE id = 4`);
    await pipeline.db.sql(`${NULL_ROW.replace('VALUES (2)', 'VALUES (5)')}`);
    await expectSinksEqualSource('a connector restart');
  });

  it('ADD COLUMN … DEFAULT gives every old row the default in every sink (catalog poll → re-snapshot)', async () => {
    await pipeline.db.sql(
      `ALTER TABLE ${TABLE} ADD COLUMN "added ""default""" jsonb DEFAULT '{"n": 1e-400, "big": 18446744073709551617}'`,
    );
    COLUMNS.push({ name: 'added "default"', sqlType: 'jsonb', family: 'json' });
    await expectSinksEqualSource('ADD COLUMN … DEFAULT');
  });

  it('verify (an independent oracle) agrees: clean, except the explained Elasticsearch dead letter', async () => {
    for (const sink of pipeline.config.sinks) {
      const result = await verifySink(pipeline.config, sink, { redis: pipeline.redis }, { timeoutMs: 30_000 });
      const deadLettered = sink.name === 'search' ? (await expected()).size - (await sinkState(pipeline)).es.size : 0;
      expect(result, JSON.stringify(result).slice(0, 2000)).toMatchObject({
        status: deadLettered > 0 ? 'different' : 'clean',
        missingCount: deadLettered,
        differentCount: 0,
        extraCount: 0,
      });
    }
  });

  it('one transaction writes 3,000 rows (several batches per partition), truncates, writes again', async () => {
    await pipeline.db.sql(`
      BEGIN;
      INSERT INTO ${TABLE} (id) SELECT g FROM generate_series(1000, 3999) g;
      UPDATE ${TABLE} SET c_int2 = 9 WHERE id = 4;
      TRUNCATE ${TABLE};
      ${NULL_ROW.replace('VALUES (2)', 'VALUES (6)')};
      ${NULL_ROW.replace('VALUES (2)', 'VALUES (1500)')};
      COMMIT;`);
    await expectSinksEqualSource('insert, truncate and insert in one transaction');
  });

  it('TRUNCATE empties every sink', async () => {
    await pipeline.db.sql(`TRUNCATE ${TABLE}`);
    await expectSinksEqualSource('TRUNCATE');
  });
});
