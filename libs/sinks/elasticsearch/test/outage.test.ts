import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { RetryableError, type ApplyResult } from '@distributary/core';
import { createElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { createTestDatabase, esUrl, pgUrl, stack, startTcpProxy, uniqueName, waitFor } from '@distributary/testkit';
import { allDocs, batchOf, dropIndices, EventFactory, sinkConfig } from './helpers';

const client = new Client({ node: esUrl() });
const alias = uniqueName('h4_outage');
const joinedAlias = `${alias}_joined`;

afterAll(async () => {
  await dropIndices(client, alias);
  await dropIndices(client, joinedAlias);
  await client.close();
});

describe('elasticsearch sink: target unreachable', () => {
  it('throws RetryableError while Elasticsearch is cut off, and loses nothing once it is back', async () => {
    const proxy = await startTcpProxy(stack.esPort);
    const sink = createElasticsearchSink(
      sinkConfig({
        name: 'outage',
        elasticsearch: {
          url: proxy.url('http'),
          index: alias,
          settings: { number_of_replicas: 0 },
          bulk: { attempts: 3, backoffBase: 20, backoffCap: 100, timeout: 2000, maxDocs: 7, concurrency: 3 },
        },
        from: 'public.items',
      }),
      { source: new PgSourceRows(pgUrl()) },
    );
    try {
      proxy.cut();
      await expect(sink.open()).rejects.toBeInstanceOf(RetryableError);
      proxy.resume();
      await sink.open();
      const f = new EventFactory('public.items');
      const first = Array.from({ length: 20 }, (_, i) => f.next('c', { id: i }, { after: { id: i, v: 1 } }));
      const second = Array.from({ length: 30 }, (_, i) => f.next('u', { id: i }, { after: { id: i, v: 2 } }));
      expect((await sink.apply(batchOf(first))).applied).toBe(20);

      proxy.cut();
      await expect(sink.apply(batchOf(second))).rejects.toBeInstanceOf(RetryableError);

      // the worker's loop: retry the same batch with backoff until it goes through
      let failures = 0;
      const retrying = (async (): Promise<ApplyResult> => {
        for (;;) {
          try {
            return await sink.apply(batchOf(second));
          } catch (error) {
            if (!(error instanceof RetryableError)) throw error;
            failures++;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      })();
      await waitFor('a few failed retries', async () => failures >= 2);
      proxy.resume();
      const result = await retrying;
      expect(result.rejected).toEqual([]);

      const docs = await allDocs(client, alias);
      expect(docs.size).toBe(30);
      for (const [id, stored] of docs) {
        expect(stored.source).toEqual({ id: Number(id), v: 2 });
        expect(stored.version).toBe(Number(second[Number(id)].pos.lsn));
      }
    } finally {
      await sink.close();
      await proxy.close();
    }
  });

  it('throws RetryableError while the source database is unreachable for joined documents, then catches up', async () => {
    const db = await createTestDatabase('h4_outage');
    const proxy = await startTcpProxy(stack.pgPort);
    const sink = createElasticsearchSink(
      sinkConfig({
        name: 'outage-joined',
        elasticsearch: { url: esUrl(), index: joinedAlias, settings: { number_of_replicas: 0 } },
        from: 'public.orders',
        document: { lines: { children: 'public.lines', on: { order_id: 'id' }, fields: ['sku'] } },
      }),
      { source: new PgSourceRows(db.url.replace(`:${stack.pgPort}/`, `:${proxy.port}/`)) },
    );
    try {
      await db.sql(`CREATE TABLE orders (id int PRIMARY KEY); CREATE TABLE lines (id int PRIMARY KEY, order_id int, sku text);
                    INSERT INTO orders VALUES (1); INSERT INTO lines VALUES (1, 1, 'a'), (2, 1, 'b')`);
      await sink.open();
      const f = new EventFactory('public.orders');
      const events = [f.next('c', { id: 1 }, { after: { id: 1 } })];
      proxy.cut();
      await expect(sink.apply(batchOf(events))).rejects.toBeInstanceOf(RetryableError);
      proxy.resume();
      expect((await sink.apply(batchOf(events))).applied).toBe(1);
      expect((await allDocs(client, joinedAlias)).get('1')?.source).toEqual({ lines: [{ sku: 'a' }, { sku: 'b' }] });
    } finally {
      await sink.close();
      await proxy.close();
      await db.drop();
    }
  });
});
