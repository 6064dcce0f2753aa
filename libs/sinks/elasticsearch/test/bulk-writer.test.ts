import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@distributary/observability';
import { esUrl, uniqueName } from '@distributary/testkit';
import { BulkWriter } from '../src/bulk/bulk-writer';
import type { BulkOp } from '../src/bulk/bulk-op';
import { allDocs, dropIndices, EventFactory } from './helpers';

const client = new Client({ node: esUrl() });
const index = uniqueName('h4_bulk');

afterAll(async () => {
  await dropIndices(client, index);
  await client.close();
});

function writer(options: Partial<ConstructorParameters<typeof BulkWriter>[1]> = {}): BulkWriter {
  return new BulkWriter(
    client,
    {
      sink: 'bulk-test',
      maxDocs: 3,
      maxBytes: 1 << 20,
      lingerMs: 30,
      concurrency: 4,
      attempts: 3,
      backoffBaseMs: 10,
      backoffCapMs: 50,
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
});
