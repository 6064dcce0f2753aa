/**
 * `batchesInFlight` above 1: the worker calls apply() for a partition's next batch before the previous one
 * resolved. Writes of one transaction share a version (its commit LSN, external_gte), so only the
 * order in which they reach Elasticsearch decides which content stays: the later batch's must, even
 * when the earlier batch is much larger (its plan and serialization take longer) and both are in
 * flight at once — on the real Elasticsearch.
 */
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchSink, versionOf, type ElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import type { ChangeEvent, Row, SinkBatch } from '@distributary/core';
import { esUrl, pgUrl, uniqueName } from '@distributary/testkit';
import { allDocs, dropIndices, sinkConfig } from './helpers';

const client = new Client({ node: esUrl() });
const prefix = uniqueName('h2_inorder');
let sink: ElasticsearchSink;

/** One transaction at `lsn`: its events from `seq` on. */
function txEvent(lsn: bigint, seq: number, op: 'c' | 'u' | 'd', id: number, name = ''): ChangeEvent {
  const row: Row = { id, name, price: '1.00', tags: [] };
  return {
    pos: { lsn, seq },
    op,
    table: 'public.products',
    key: { id },
    ...(op === 'd' ? {} : { after: row }),
    commitTs: new Date().toISOString(),
  };
}

function batch(events: ChangeEvent[], partition: number): SinkBatch {
  const last = events[events.length - 1];
  return { sink: 'products', partition, events, lastId: `${last.pos.lsn}-${last.pos.seq}`, fencingToken: 1 };
}

beforeAll(async () => {
  sink = createElasticsearchSink(
    sinkConfig({
      name: 'products',
      elasticsearch: { url: esUrl(), index: `${prefix}_a`, settings: { number_of_replicas: 0 } },
      from: 'public.products',
      id: '{id}',
      document: { name: 'name', price: { expr: '$number(price)' }, tags: 'tags' },
    }),
    { source: new PgSourceRows(pgUrl()) },
  );
  await sink.open();
});

afterAll(async () => {
  await sink.close();
  await dropIndices(client, prefix);
  await client.close();
});

describe('elasticsearch sink: overlapping applies of one partition land in call order', () => {
  it('declares bulk.batchesInFlight (default 1) to the worker', () => {
    expect(sink.batchesInFlight).toBe(1);
  });

  it('a transaction spanning two batches in flight at once: the later batch content stays, deletes included', async () => {
    const lsn = 5_000_000n;
    // batch 1 (large): writes 1..3000; batch 2 (small): rewrites 1, deletes 2 — the same transaction
    const first = Array.from({ length: 3000 }, (_, i) => txEvent(lsn, i, 'c', i + 1, `first ${i + 1}`));
    const second = [txEvent(lsn, 3000, 'u', 1, 'second 1'), txEvent(lsn, 3001, 'd', 2)];
    const [a, b] = await Promise.all([sink.apply(batch(first, 3)), sink.apply(batch(second, 3))]);
    expect(a.rejected).toEqual([]);
    expect(b.rejected).toEqual([]);
    const docs = await allDocs(client, `${prefix}_a`);
    expect(docs.get('1')).toEqual({
      source: { name: 'second 1', price: 1, tags: [] },
      version: versionOf(lsn),
    });
    expect(docs.has('2')).toBe(false);
    expect(docs.get('3')?.source.name).toBe('first 3');
    expect(docs.size).toBe(2999);
  });

  it('other partitions do not wait for each other, and a later transaction of the key still wins', async () => {
    const lsn = 6_000_000n;
    const big = Array.from({ length: 2000 }, (_, i) => txEvent(lsn, i, 'u', i + 1, `tx1 ${i + 1}`));
    const later = [txEvent(lsn + 100n, 0, 'u', 5, 'tx2 5')];
    const elsewhere = [txEvent(lsn + 200n, 0, 'c', 90_001, 'other partition')];
    await Promise.all([sink.apply(batch(big, 4)), sink.apply(batch(later, 4)), sink.apply(batch(elsewhere, 5))]);
    const docs = await allDocs(client, `${prefix}_a`);
    expect(docs.get('5')?.source.name).toBe('tx2 5');
    expect(docs.get('6')?.source.name).toBe('tx1 6');
    expect(docs.get('90001')?.source.name).toBe('other partition');
  });
});
