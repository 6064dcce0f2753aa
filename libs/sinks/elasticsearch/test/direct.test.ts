import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchSink, versionOf, type ElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import type { Row } from '@distributary/core';
import { health, registry } from '@distributary/observability';
import { createTestDatabase, esUrl, pgUrl, uniqueName } from '@distributary/testkit';
import { allDocs, batchOf, dropIndices, EventFactory, sinkConfig } from './helpers';

const client = new Client({ node: esUrl() });
const prefix = uniqueName('h4_direct');
const sinks: ElasticsearchSink[] = [];

async function openSink(
  alias: string,
  extra: Record<string, unknown> = {},
  sourceUrl = pgUrl(),
): Promise<ElasticsearchSink> {
  const sink = createElasticsearchSink(
    sinkConfig({
      name: 'products',
      elasticsearch: { url: esUrl(), index: alias, settings: { number_of_replicas: 0 }, ...extra },
      from: 'public.products',
      id: '{id}',
      document: { name: 'name', price: { expr: '$number(price)' }, tags: 'tags' },
    }),
    { source: new PgSourceRows(sourceUrl) },
  );
  await sink.open();
  sinks.push(sink);
  return sink;
}

afterAll(async () => {
  for (const sink of sinks) await sink.close();
  await dropIndices(client, prefix);
  await client.close();
});

describe('elasticsearch sink: one table, versioned writes', () => {
  let sink: ElasticsearchSink;
  const alias = `${prefix}_a`;
  const f = new EventFactory('public.products');
  const row = (id: number, name: string, price = '9.50'): Row => ({ id, name, price, tags: ['x'] });
  const batches = [
    [
      f.next('c', { id: 1 }, { after: row(1, 'apple') }),
      f.next('c', { id: 2 }, { after: row(2, 'pear') }),
      f.next('c', { id: 3 }, { after: row(3, 'plum') }),
    ],
    [
      f.next('u', { id: 1 }, { after: row(1, 'apple v2', '10.25') }),
      f.next('u', { id: 1 }, { after: row(1, 'apple v3', '11.00') }),
      f.next('d', { id: 2 }),
    ],
    [f.next('c', { id: 4 }, { after: row(4, 'kiwi') }), f.next('u', { id: 3 }, { after: row(3, 'plum v2') })],
  ];

  beforeAll(async () => {
    sink = await openSink(alias);
  });

  it('creates <alias>_v1 behind the alias, with gc_deletes raised', async () => {
    expect(sink.servingIndex).toBe(`${alias}_v1`);
    const settings = await client.indices.getSettings({ index: alias });
    expect(Object.values(settings)[0].settings?.index?.gc_deletes).toBe('3600000ms');
    expect(await sink.needsRebuild()).toBe(false);
  });

  it('indexes inserts, updates and deletes with the commit LSN as version, same-key events collapsed', async () => {
    for (const events of batches) {
      const result = await sink.apply(batchOf(events));
      expect(result.rejected).toEqual([]);
    }
    const docs = await allDocs(client, alias);
    expect([...docs.keys()].sort()).toEqual(['1', '3', '4']);
    expect(docs.get('1')).toEqual({
      source: { name: 'apple v3', price: 11, tags: ['x'] },
      version: versionOf(batches[1][1].pos.lsn),
    });
    expect(docs.get('3')?.source.name).toBe('plum v2');
    expect(docs.get('3')?.version).toBe(versionOf(batches[2][1].pos.lsn));
  });

  it('replaying the same batches twice leaves an identical index (documents and versions)', async () => {
    const before = await allDocs(client, alias);
    let stale = 0;
    for (let round = 0; round < 2; round++) {
      for (const events of batches) {
        const result = await sink.apply(batchOf(events));
        expect(result.rejected).toEqual([]);
        stale += result.skippedAsStale;
      }
    }
    expect(stale).toBeGreaterThan(0);
    expect(await allDocs(client, alias)).toEqual(before);
  });

  it('an older event redelivered out of order never overwrites newer content or resurrects a delete', async () => {
    const before = await allDocs(client, alias);
    const old = [batches[0][0], batches[0][1], batches[1][0]].reverse();
    const result = await sink.apply(batchOf(old));
    expect(result.applied).toBe(0);
    expect(result.skippedAsStale).toBe(2); // doc 1 (collapsed to its newest old event) and doc 2 (deleted)
    expect(await allDocs(client, alias)).toEqual(before);
  });

  it('dead-letters a document Elasticsearch refuses and still indexes the rest of the batch', async () => {
    // explicit mappings are checked against the source's column types at open (mapping-check.test.ts)
    const db = await createTestDatabase('h4_direct');
    await db.sql('CREATE TABLE public.products (id int PRIMARY KEY, name text, price numeric, tags text[])');
    const strict = await openSink(
      `${prefix}_strict`,
      { mappings: { properties: { name: { type: 'keyword' }, price: { type: 'double' }, tags: { type: 'keyword' } } } },
      db.url,
    ).finally(() => db.drop());
    const g = new EventFactory('public.products');
    const bad = g.next('c', { id: 11 }, { after: { id: 11, name: 'bad', price: 'not a number', tags: [] } });
    const events = [
      g.next('c', { id: 10 }, { after: row(10, 'good', '3') }),
      bad,
      g.next('c', { id: 12 }, { after: { id: 12, name: { nested: 'object' }, price: '4', tags: [] } }),
      g.next('c', { id: 13 }, { after: row(13, 'also good', '5') }),
    ];
    const result = await strict.apply(batchOf(events));
    expect(result.applied).toBe(2);
    // the JSONata $number("not a number") fails before Elasticsearch; the object-into-keyword fails in it
    expect(result.rejected.map((r) => r.event.key)).toEqual([{ id: 11 }, { id: 12 }]);
    expect(result.rejected[0].error).toMatch(/number/i);
    expect(result.rejected[1].error).toMatch(/400/);
    const docs = await allDocs(client, `${prefix}_strict`);
    expect([...docs.keys()].sort()).toEqual(['10', '13']);
  });

  it('a truncate deletes every document with the truncate version', async () => {
    const g = new EventFactory('public.products');
    const t = await openSink(`${prefix}_trunc`);
    await t.apply(
      batchOf([g.next('c', { id: 1 }, { after: row(1, 'a') }), g.next('c', { id: 2 }, { after: row(2, 'b') })]),
    );
    const truncate = g.next('t', {});
    await t.apply(batchOf([truncate, g.next('c', { id: 3 }, { after: row(3, 'c') })]));
    expect([...(await allDocs(client, `${prefix}_trunc`)).keys()]).toEqual(['3']);
  });

  it('a truncate removes rows written earlier in its own transaction (same commit LSN), not later ones', async () => {
    // BEGIN; INSERT 5; UPDATE 1; TRUNCATE; INSERT 6; COMMIT: every event has the commit's LSN
    const g = new EventFactory('public.products');
    const t = await openSink(`${prefix}_trunc_tx`);
    await t.apply(batchOf([g.next('c', { id: 1 }, { after: row(1, 'a') })]));
    const lsn = 5_000n;
    const tx = [
      g.next('c', { id: 5 }, { after: row(5, 'e'), lsn }),
      g.next('u', { id: 1 }, { after: row(1, 'a2'), lsn }),
      g.next('t', {}, { lsn }),
      g.next('c', { id: 6 }, { after: row(6, 'f'), lsn }),
    ].map((event, seq) => ({ ...event, pos: { lsn, seq } }));
    await t.apply(batchOf(tx));
    expect([...(await allDocs(client, `${prefix}_trunc_tx`)).keys()]).toEqual(['6']);
  });

  it("a partition's copy of a truncate leaves rows other partitions wrote after it in the same transaction", async () => {
    // BEGIN; TRUNCATE; INSERT 6; COMMIT — partition 1 (key 6) is ahead of partition 0
    const g = new EventFactory('public.products');
    const t = await openSink(`${prefix}_trunc_parts`);
    await t.apply(batchOf([g.next('c', { id: 1 }, { after: row(1, 'a') })]));
    const lsn = 6_000n;
    const truncate = { ...g.next('t', {}, { lsn }), pos: { lsn, seq: 0 } };
    const insert = { ...g.next('c', { id: 6 }, { after: row(6, 'f'), lsn }), pos: { lsn, seq: 1 } };
    await t.apply({ ...batchOf([truncate, insert]), partition: 1 });
    await t.apply({ ...batchOf([truncate]), partition: 0 });
    expect([...(await allDocs(client, `${prefix}_trunc_parts`)).keys()]).toEqual(['6']);
  });

  it('a truncate removes rows its transaction wrote in earlier batches of the partition', async () => {
    // BEGIN; INSERT 5; TRUNCATE; COMMIT, split over two batches of one partition
    const g = new EventFactory('public.products');
    const t = await openSink(`${prefix}_trunc_split`);
    const lsn = 7_000n;
    const insert = { ...g.next('c', { id: 5 }, { after: row(5, 'e'), lsn }), pos: { lsn, seq: 0 } };
    const truncate = { ...g.next('t', {}, { lsn }), pos: { lsn, seq: 1 } };
    await t.apply(batchOf([insert]));
    await t.apply({
      ...batchOf([truncate]),
      async *earlierInTransaction() {
        yield [insert];
      },
    });
    expect([...(await allDocs(client, `${prefix}_trunc_split`)).keys()]).toEqual([]);
  });

  it('a truncate of a large index deletes page by page, exactly', async () => {
    const g = new EventFactory('public.products');
    const t = await openSink(`${prefix}_trunc_paged`);
    const many = Array.from({ length: 2_500 }, (_, i) => g.next('c', { id: i }, { after: row(i, `r${i}`) }));
    await t.apply(batchOf(many));
    await t.apply(batchOf([g.next('t', {}), g.next('c', { id: 7 }, { after: row(7, 'again') })]));
    const docs = await allDocs(client, `${prefix}_trunc_paged`);
    expect([...docs.keys()]).toEqual(['7']);
    expect(docs.get('7')?.source).toMatchObject({ name: 'again' });
  });

  it('a key change moves the document; a composite id template addresses several columns', async () => {
    const g = new EventFactory('public.lines');
    const lines = createElasticsearchSink(
      sinkConfig({
        name: 'lines',
        elasticsearch: { url: esUrl(), index: `${prefix}_lines`, settings: { number_of_replicas: 0 } },
        from: 'public.lines',
        id: '{order_id}:{n}',
      }),
      { source: new PgSourceRows(pgUrl()) },
    );
    await lines.open();
    sinks.push(lines);
    await lines.apply(batchOf([g.next('c', { order_id: '7', n: 1 }, { after: { order_id: '7', n: 1, sku: 'a' } })]));
    await lines.apply(
      batchOf([
        g.next(
          'u',
          { order_id: '7', n: 2 },
          { before: { order_id: '7', n: 1 }, after: { order_id: '7', n: 2, sku: 'a' } },
        ),
      ]),
    );
    const docs = await allDocs(client, `${prefix}_lines`);
    expect([...docs.keys()]).toEqual(['7:2']);
    expect(docs.get('7:2')?.source).toEqual({ order_id: '7', n: 2, sku: 'a' });
  });

  it('describes its progress and counts its work in Prometheus metrics', async () => {
    const info = await sink.describe();
    expect(info).toMatchObject({ alias, index: `${alias}_v1`, writeIndices: [`${alias}_v1`] });
    expect(info.lastAppliedLsn).toMatch(/^0\/[0-9A-F]+$/);
    expect(info.applied as number).toBeGreaterThan(0);
    const metrics = await registry.getMetricsAsJSON();
    const docsMetric = metrics.find((m) => m.name === 'distributary_es_docs_total');
    const stale = docsMetric?.values.find((v) => v.labels.sink === 'products' && v.labels.result === 'stale');
    expect(stale?.value).toBeGreaterThan(0);
    expect(metrics.map((m) => m.name)).toContain('distributary_es_bulk_seconds');
    expect((await health.report()).checks['sink:products']).toEqual({ ok: true });
  });

  it('refuses an LSN that does not fit an exact external version', () => {
    expect(() => versionOf(2n ** 53n)).toThrow(/exact Elasticsearch external version/);
    expect(versionOf(0x16b374d848n)).toBe(0x16b374d848);
  });
});
