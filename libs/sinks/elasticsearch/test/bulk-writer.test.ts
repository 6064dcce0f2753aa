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

/** `n` first versions of documents `<prefix>-0` … `<prefix>-<n-1>`. */
const inserts = (f: EventFactory, prefix: string, n: number): BulkOp[] =>
  Array.from({ length: n }, (_, i) => ({
    action: 'index',
    index,
    id: `${prefix}-${i}`,
    version: 1,
    document: { i },
    event: f.next('c', { id: i }),
  }));

const nextTurn = (): Promise<void> => new Promise((done) => setTimeout(done, 0));

/**
 * A client whose first `hold` requests wait for release(); `sizes`: the documents of each bulk request
 * it sent; `sent(n)` resolves once n requests were sent.
 */
function gatedClient(hold: number): {
  client: Client;
  sizes: number[];
  sent: (n: number) => Promise<void>;
  release: () => void;
} {
  const held = new Client({ node: esUrl(), maxRetries: 0 });
  const sizes: number[] = [];
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const waiters: { n: number; wake: () => void }[] = [];
  const request = held.transport.request.bind(held.transport);
  held.transport.request = (async (params: { bulkBody?: unknown }, options?: unknown) => {
    if (typeof params.bulkBody === 'string') sizes.push(params.bulkBody.split('{"index":').length - 1);
    for (const w of waiters) if (sizes.length >= w.n) w.wake();
    if (sizes.length <= hold) await gate;
    return request(params as never, options as never);
  }) as typeof held.transport.request;
  const sent = (n: number): Promise<void> =>
    sizes.length >= n ? Promise.resolve() : new Promise((wake) => waiters.push({ n, wake }));
  return { client: held, sizes, sent, release };
}

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

  it('sends the batches queued in one turn as one request; a backlog as full requests, then the rest', async () => {
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
      const ops = (prefix: string, n: number): BulkOp[] => inserts(f, prefix, n);
      const w = writer({ maxDocs: 10, concurrency: 8 }, viaProxy);
      // a backlog queued in one turn: two full requests leave, and the rest (two small batches) as one
      // partial request once they are answered
      const backlog = w.write(ops('full', 20));
      const small = [w.write(ops('a', 3)), w.write(ops('b', 3))];
      await Promise.all([backlog, ...small]);
      // (answers may come in any order: the sizes are compared sorted)
      expect([...sizes].sort((a, b) => a - b)).toEqual([6, 10, 10]);
      // small batches of four partitions queued in one turn: one request, not one each
      sizes.length = 0;
      await Promise.all([1, 2, 3, 4].map((n) => w.write(ops(`light-${n}`, 2))));
      expect(sizes).toEqual([8]);
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });

  it('while both small slots are in flight, the batches queued meanwhile wait and leave as one request, at once when it is not small', async () => {
    // the client holds its first 2 bulk requests until the test releases them (Elasticsearch answers every request)
    const held = gatedClient(2);
    try {
      const f = new EventFactory('public.t');
      const ops = (prefix: string, n: number): BulkOp[] => inserts(f, `gc-${prefix}`, n);
      // the default: 2 small requests at once; here below 8 documents
      const w = writer({ maxDocs: 10, concurrency: 8, smallDocs: 8 }, held.client);
      const first = w.write(ops('a', 2));
      await held.sent(1);
      const second = w.write(ops('b', 3));
      await held.sent(2);
      // two more partitions' batches, each in a turn of its own, while both requests are out
      const third = w.write(ops('c', 3));
      await nextTurn();
      const fourth = w.write(ops('d', 3));
      await nextTurn();
      expect(held.sizes).toEqual([2, 3]);
      // one more makes the waiting request not small (9 of 8): it leaves beside the two held ones
      const fifth = w.write(ops('e', 3));
      await held.sent(3);
      expect(held.sizes).toEqual([2, 3, 9]);
      held.release();
      const outcomes = await Promise.all([first, second, third, fourth, fifth]);
      expect(held.sizes).toEqual([2, 3, 9]);
      expect(outcomes.flat().every((o) => o.result === 'applied')).toBe(true);
      const docs = await allDocs(client, index);
      for (const id of ['gc-a-1', 'gc-b-2', 'gc-c-2', 'gc-d-2', 'gc-e-2']) expect(docs.has(id)).toBe(true);
    } finally {
      await held.client.close();
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
