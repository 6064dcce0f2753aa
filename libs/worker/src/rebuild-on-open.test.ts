import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import { configSchema, type ElasticsearchSinkConfig } from '@distributary/config';
import { LogAppender, LogKeys, connectRedis } from '@distributary/changelog';
import { createElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { esUrl, pgUrl, redisUrl, uniqueName } from '@distributary/testkit';
import { deleteNamespace } from '@distributary/testkit';
import { logEventsOf, rebuildOnOpen } from './rebuild-on-open';

const redis = connectRedis({ url: redisUrl() });
const es = new Client({ node: esUrl() });
const namespace = uniqueName('rebuildopen');
const alias = uniqueName('rebuildopen');
const keys = new LogKeys(namespace);
const PARTITIONS = 4;

function sinkConfig(document: Record<string, unknown>): ElasticsearchSinkConfig {
  const config = configSchema.parse({
    source: { postgres: { url: pgUrl() }, tables: ['public.items'] },
    log: { redis: { url: redisUrl() }, namespace, partitions: PARTITIONS },
    sinks: [
      {
        name: 'search',
        elasticsearch: { url: esUrl(), index: alias, settings: { number_of_replicas: 0 }, retireAfter: 300 },
        from: 'public.items',
        document,
      },
    ],
  });
  return config.sinks[0] as ElasticsearchSinkConfig;
}

afterAll(async () => {
  await deleteNamespace(redis, namespace);
  await es.indices.delete({ index: `${alias}*`, ignore_unavailable: true });
  await es.close();
  redis.disconnect();
});

/**
 * A sink whose shape changed is rebuilt from the compacted log when the worker opens it: the new
 * index behind the alias is filled from every partition of the real log, then swapped in.
 */
describe('rebuild on open', () => {
  it('rebuilds a changed Elasticsearch sink from every partition of the log and swaps the alias', async () => {
    const events: ChangeEvent[] = Array.from({ length: 120 }, (_, i) => ({
      pos: { lsn: 1000n + BigInt(i), seq: 0 },
      op: 'c',
      table: 'public.items',
      key: { id: i },
      after: { id: i, name: `item ${i}` },
    }));
    events.push({ pos: { lsn: 5000n, seq: 0 }, op: 'd', table: 'public.items', key: { id: 7 } });
    await new LogAppender(redis, keys, PARTITIONS).append(events, []);
    const log = { redis, keys, partitions: PARTITIONS };

    const first = rebuildOnOpen(
      createElasticsearchSink(sinkConfig({ name: 'name' }), { source: new PgSourceRows(pgUrl()) }),
      log,
    );
    await first.open();
    for await (const batch of logEventsOf({ redis, keys, partitions: PARTITIONS }, first.tables))
      await first.apply({ sink: 'search', partition: 0, events: batch, lastId: '0-0', fencingToken: 1 });
    await first.close();

    const changed = createElasticsearchSink(sinkConfig({ name: 'name', shout: { expr: '$uppercase(name)' } }), {
      source: new PgSourceRows(pgUrl()),
    });
    const second = rebuildOnOpen(changed, log);
    await second.open();
    try {
      const aliased = await es.indices.getAlias({ name: alias });
      expect(Object.keys(aliased)).toEqual([`${alias}_v2`]);
      await es.indices.refresh({ index: alias });
      expect((await es.count({ index: alias })).count).toBe(119);
      const doc = await es.get<{ name: string; shout: string }>({ index: alias, id: '3' });
      expect(doc._source).toEqual({ name: 'item 3', shout: 'ITEM 3' });
      expect(await changed.needsRebuild()).toBe(false);
    } finally {
      await second.close();
    }
  });
});
