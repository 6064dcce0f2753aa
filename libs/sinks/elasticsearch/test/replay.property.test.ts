import { Client } from '@elastic/elasticsearch';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import { createElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { esUrl, pgUrl, uniqueName } from '@distributary/testkit';
import { allDocs, batchOf, dropIndices, sinkConfig, type StoredDoc } from './helpers';

const client = new Client({ node: esUrl() });
const prefix = uniqueName('h4_prop');

afterAll(async () => {
  await dropIndices(client, prefix);
  await client.close();
});

const step = fc.record({ key: fc.integer({ min: 0, max: 4 }), op: fc.constantFrom('c', 'u', 'd'), value: fc.nat(99) });

function toEvents(steps: { key: number; op: string; value: number }[]): ChangeEvent[] {
  return steps.map((s, i) => ({
    pos: { lsn: BigInt(100 + i * 8), seq: 0 },
    op: s.op as 'c' | 'u' | 'd',
    table: 'public.kv',
    key: { k: s.key },
    ...(s.op === 'd' ? {} : { after: { k: s.key, v: s.value } }),
  }));
}

/** The state the index must show: the newest event per key, with its LSN as version. */
function expected(events: ChangeEvent[]): Map<string, StoredDoc> {
  const latest = new Map<string, ChangeEvent>();
  for (const e of events) latest.set(String(e.key.k), e);
  const docs = new Map<string, StoredDoc>();
  for (const [id, e] of latest) if (e.after) docs.set(id, { source: e.after, version: Number(e.pos.lsn) });
  return docs;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

describe('elasticsearch sink: any delivery of the log ends in the same index', () => {
  it('in-order apply, replayed stretches and out-of-order redeliveries all converge on the newest state', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 6 }),
        fc.tuple(fc.nat(), fc.nat()),
        fc.func(fc.integer()),
        async (steps, batchSize, [from, to], order) => {
          const events = toEvents(steps);
          const alias = `${prefix}_${run++}`;
          const sink = createElasticsearchSink(
            sinkConfig({
              name: 'kv',
              elasticsearch: { url: esUrl(), index: alias, settings: { number_of_replicas: 0 } },
              from: 'public.kv',
              id: '{k}',
            }),
            { source: new PgSourceRows(pgUrl()) },
          );
          try {
            await sink.open();
            for (const batch of chunks(events, batchSize)) await sink.apply(batchOf(batch));
            const stretch = events.slice(Math.min(from, to) % events.length, (Math.max(from, to) % events.length) + 1);
            for (const batch of chunks(stretch, batchSize)) await sink.apply(batchOf(batch));
            const shuffled = [...events].sort((a, b) => order(a) - order(b));
            for (const batch of chunks(shuffled, batchSize)) await sink.apply(batchOf(batch));
            expect(await allDocs(client, alias)).toEqual(expected(events));
          } finally {
            await sink.close();
            await dropIndices(client, alias);
          }
        },
      ),
      { numRuns: 8 },
    );
  });
});
