import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import { createElasticsearchSink, type ElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { esUrl, pgUrl, uniqueName, waitFor } from '@distributary/testkit';
import { allDocs, batchOf, dropIndices, EventFactory, sinkConfig } from './helpers';

const client = new Client({ node: esUrl() });
const alias = uniqueName('h4_rebuild');
const sinks: ElasticsearchSink[] = [];

function sinkWith(document: Record<string, unknown>): ElasticsearchSink {
  const sink = createElasticsearchSink(
    sinkConfig({
      name: 'rebuild',
      elasticsearch: {
        url: esUrl(),
        index: alias,
        settings: { number_of_replicas: 0 },
        retireAfter: 300,
        discoverEvery: 200,
      },
      from: 'public.items',
      document,
    }),
    { source: new PgSourceRows(pgUrl()) },
  );
  sinks.push(sink);
  return sink;
}

afterAll(async () => {
  for (const sink of sinks) await sink.close();
  await dropIndices(client, alias);
  await client.close();
});

describe('elasticsearch sink: rebuild behind the alias', () => {
  it('fills <alias>_v2 from the log while v1 serves (live writes of every worker reach both), swaps atomically, searches never fail', async () => {
    const f = new EventFactory('public.items');
    const log: ChangeEvent[] = Array.from({ length: 300 }, (_, i) =>
      f.next('c', { id: i }, { after: { id: i, name: `item ${i}` } }),
    );
    const v1 = sinkWith({ name: 'name' });
    await v1.open();
    await v1.apply(batchOf(log));
    await client.indices.refresh({ index: alias });

    const v2 = sinkWith({ name: 'name', shout: { expr: '$uppercase(name)' } });
    await v2.open();
    // another worker running the new config for other partitions; it is not the one rebuilding
    const peer = sinkWith({ name: 'name', shout: { expr: '$uppercase(name)' } });
    await peer.open();
    expect(v2.servingIndex).toBe(`${alias}_v1`);
    expect(await v2.needsRebuild()).toBe(true);

    let searching = true;
    let searches = 0;
    const failures: string[] = [];
    const searchLoop = (async () => {
      while (searching) {
        try {
          const r = await client.search({ index: alias, size: 0, track_total_hits: true });
          const total = typeof r.hits.total === 'number' ? r.hits.total : r.hits.total?.value;
          if (total !== 300) failures.push(`saw ${total} documents`);
        } catch (error) {
          failures.push((error as Error).message);
        }
        searches++;
      }
    })();

    const live = f.next('u', { id: 250 }, { after: { id: 250, name: 'renamed while rebuilding' } });
    async function* compactedLog(): AsyncIterable<ChangeEvent[]> {
      for (let i = 0; i < log.length; i += 50) {
        if (i === 150) await peer.apply(batchOf([live])); // a live event lands mid-rebuild, in another worker
        yield log.slice(i, i + 50);
      }
    }
    const result = await v2.rebuild(compactedLog());
    searching = false;
    await searchLoop;

    expect(result).toMatchObject({ index: `${alias}_v2`, previous: `${alias}_v1`, rejected: [] });
    expect(result.skippedAsStale).toBe(1); // the log's older version of item 250 lost to the live write
    expect(failures).toEqual([]);
    expect(searches).toBeGreaterThan(5);
    expect(v2.servingIndex).toBe(`${alias}_v2`);
    expect(await v2.needsRebuild()).toBe(false);
    const aliased = await client.indices.getAlias({ name: alias });
    expect(Object.keys(aliased)).toEqual([`${alias}_v2`]);

    const docs = await allDocs(client, alias);
    expect(docs.size).toBe(300);
    expect(docs.get('3')?.source).toEqual({ name: 'item 3', shout: 'ITEM 3' });
    expect(docs.get('250')?.source).toEqual({ name: 'renamed while rebuilding', shout: 'RENAMED WHILE REBUILDING' });

    await waitFor(
      'the old index to be deleted after its grace period',
      async () => !(await client.indices.exists({ index: `${alias}_v1` })),
    );
  });
});
