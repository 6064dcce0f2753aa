import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@distributary/observability';
import { RetryableError } from '@distributary/core';
import { esUrl, stack, startTcpProxy, uniqueName } from '@distributary/testkit';
import { BulkWriter } from '../src/write/bulk-writer';
import type { BulkOp } from '../src/write/bulk-op';
import { allDocs, dropIndices, EventFactory } from './helpers';

const client = new Client({ node: esUrl() });
const index = uniqueName('h4_bulk');

afterAll(async () => {
  await dropIndices(client, index);
  await client.close();
});

function writer(options: Partial<ConstructorParameters<typeof BulkWriter>[1]> = {}, via: Client = client): BulkWriter {
  return new BulkWriter(
    via,
    {
      sink: 'bulk-test',
      maxDocs: 3,
      maxBytes: 1 << 20,
      lingerMs: 30,
      concurrency: 4,
      timeoutMs: 5000,
      ...options,
    },
    silentLogger,
  );
}

describe('bulk writer', () => {
  it('keeps per-key order with several small requests in flight', async () => {
    await client.indices.create({ index, settings: { number_of_replicas: 0 } });
    const f = new EventFactory('public.t');
    const ops: BulkOp[] = [];
    for (let version = 1; version <= 5; version++) {
      for (let key = 0; key < 10; key++) {
        ops.push({
          action: 'index',
          index,
          id: String(key),
          version,
          document: { key, version },
          event: f.next('u', { id: key }),
        });
      }
    }
    const outcomes = await writer().write(ops);
    // an out-of-order write would have met a newer version and come back 409 (stale)
    expect(outcomes.every((o) => o.result === 'applied')).toBe(true);
    const docs = await allDocs(client, index);
    expect(docs.size).toBe(10);
    for (const doc of docs.values()) expect(doc).toMatchObject({ version: 5, source: { version: 5 } });
  });

  it('sends a partial request after the linger time, and reports stale and rejected items', async () => {
    const f = new EventFactory('public.t');
    const w = writer({ maxDocs: 100, lingerMs: 20 });
    const stale = w.add({
      action: 'index',
      index,
      id: '0',
      version: 2,
      document: { v: 'old' },
      event: f.next('u', { id: 0 }),
    });
    expect(await stale).toEqual({ result: 'stale' });
    const rejected = await w.add({
      action: 'index',
      index,
      id: 'x',
      version: 1,
      document: { version: 'not a long' },
      event: f.next('c', { id: 'x' }),
    });
    expect(rejected.result).toBe('rejected');
    await w.idle();
  });

  it('sends small requests at once while two are in flight or the flying ones are light; beyond that only full ones', async () => {
    // per connection: the documents of each bulk request, counted from its action lines, closed by the answer
    const sizes: number[] = [];
    const proxy = await startTcpProxy(stack.esPort, '127.0.0.1', {
      observe: () => {
        let docs = 0;
        return {
          request: (chunk) => (docs += chunk.toString('latin1').split('{"index":').length - 1),
          response: () => {
            if (docs > 0) sizes.push(docs);
            docs = 0;
          },
        };
      },
    });
    const viaProxy = new Client({ node: proxy.url('http'), maxRetries: 0 });
    try {
      const f = new EventFactory('public.t');
      const ops = (prefix: string, n: number): BulkOp[] =>
        Array.from({ length: n }, (_, i) => ({
          action: 'index',
          index,
          id: `${prefix}-${i}`,
          version: 1,
          document: { i },
          event: f.next('c', { id: i }),
        }));
      const w = writer({ maxDocs: 10, concurrency: 8 }, viaProxy);
      // a backlog: two full requests leave, then two small batches wait (the flying ones carry a full
      // request's worth) and leave together as one request when a slot frees
      const backlog = w.write(ops('full', 20));
      const small = [w.write(ops('a', 3)), w.write(ops('b', 3))];
      await Promise.all([backlog, ...small]);
      // (answers may come in any order: the sizes are compared sorted)
      expect([...sizes].sort((a, b) => a - b)).toEqual([6, 10, 10]);
      // light requests in flight: small batches leave at once, one request each, up to `concurrency`
      sizes.length = 0;
      await Promise.all([1, 2, 3, 4].map((n) => w.write(ops(`light-${n}`, 2))));
      expect(sizes).toEqual([2, 2, 2, 2]);
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });

  it('sends a failed request once: its writes fail with RetryableError and the caller retries them', async () => {
    // the proxy cuts the connection as the first bulk request leaves and lets the next ones through:
    // a writer that retried on its own would succeed here; the one retry policy is the caller's
    let bulkRequests = 0;
    const proxy = await startTcpProxy(stack.esPort, '127.0.0.1', {
      observe: () => ({
        request: (chunk) => {
          if (!chunk.subarray(0, 11).toString('latin1').startsWith('POST /_bulk')) return;
          if (++bulkRequests === 1) {
            proxy.cut();
            setImmediate(() => proxy.resume());
          }
        },
        response: () => undefined,
      }),
    });
    const viaProxy = new Client({ node: proxy.url('http'), maxRetries: 0 });
    try {
      const f = new EventFactory('public.t');
      const ops: BulkOp[] = [0, 1, 2].map((key) => ({
        action: 'index',
        index,
        id: `retry-${key}`,
        version: 7,
        document: { key },
        event: f.next('u', { id: key }),
      }));
      const w = writer({ maxDocs: 10 }, viaProxy);
      await expect(w.write(ops)).rejects.toBeInstanceOf(RetryableError);
      expect(bulkRequests).toBe(1);
      // the caller's retry: the same writes again; a document the cut request did write answers 409 (stale)
      const outcomes = await w.write(ops);
      expect(bulkRequests).toBe(2);
      expect(outcomes.every((o) => o.result === 'applied' || o.result === 'stale')).toBe(true);
      const docs = await allDocs(client, index);
      for (const key of [0, 1, 2]) expect(docs.get(`retry-${key}`)).toMatchObject({ version: 7, source: { key } });
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });
});
