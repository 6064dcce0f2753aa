import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema, type ElasticsearchSinkConfig } from '@distributary/config';
import { LogKeys, connectRedis, openingStatuses } from '@distributary/changelog';
import { createLogger } from '@distributary/observability';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { createElasticsearchSink } from '@distributary/sink-elasticsearch';
import { deleteNamespace, esUrl, pgUrl, redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import { SinkRunner } from './sink-runner';
import { RecordingSink } from './testing/recording-sink';

const redis = connectRedis({ url: redisUrl() });
const es = new Client({ node: esUrl() });
const namespace = uniqueName('runneropen');
const plainIndex = uniqueName('runneropen');
const keys = new LogKeys(namespace);

function esSinkOn(index: string): ElasticsearchSinkConfig {
  const config = configSchema.parse({
    source: { postgres: { url: pgUrl() }, tables: ['public.items'] },
    log: { redis: { url: redisUrl() }, namespace, partitions: 2 },
    sinks: [
      {
        name: 'search',
        elasticsearch: { url: esUrl(), index, settings: { number_of_replicas: 0 } },
        from: 'public.items',
        document: { name: 'name' },
      },
    ],
  });
  return config.sinks[0] as ElasticsearchSinkConfig;
}

afterAll(async () => {
  await deleteNamespace(redis, namespace);
  await es.indices.delete({ index: `${plainIndex}*`, ignore_unavailable: true });
  await es.close();
  await redis.quit().catch(() => undefined); // in-flight replies first: disconnect() rejects them, unhandled
});

/**
 * A worker whose sink cannot open (a fatal error, here Elasticsearch holding a plain index where the
 * sink's alias belongs) does not start: it says which sink and why in its log, never joins the members
 * (so no partition is assigned to a worker that will not consume it), and closes every sink it opened,
 * so that its process can end instead of lingering half-started.
 */
describe('SinkRunner start with a sink that cannot open', () => {
  it('logs the sink and why, joins nobody, and closes the sinks it opened', async () => {
    await es.indices.create({ index: plainIndex, settings: { number_of_replicas: 0 } });
    const lines: string[] = [];
    const logger = createLogger('runner-open', 'info', { write: (line: string) => void lines.push(line) });
    const opened = new RecordingSink({
      name: 'rec',
      tables: ['public.items'],
      redis,
      prefix: `{${namespace}:rec}`,
      worker: 'w1',
    });
    const search = createElasticsearchSink(esSinkOn(plainIndex), { source: new PgSourceRows(pgUrl()) });
    const runner = new SinkRunner({ redis, namespace, partitions: 2, sinks: [opened, search], logger });

    await expect(runner.start()).rejects.toThrow(`an index named ${plainIndex} exists`);

    const refused = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((l) => l.level === 50);
    expect(refused).toMatchObject({
      sink: 'search',
      msg: 'sink search could not be opened: this worker does not join and owns no partition',
    });
    expect(JSON.stringify(refused?.err)).toContain(`an index named ${plainIndex} exists`);
    expect(await redis.zcard(keys.workers())).toBe(0);
    expect(await redis.zcard(keys.workersOpening())).toBe(0);
    expect(opened.opened).toBe(false);
    expect(runner.status().owned).toEqual([]);
  });
});

/**
 * A worker whose sink's target is not up yet keeps retrying the open (it is not an error of the sink):
 * until it joins, `status` lists it as opening, with the sink, the error and the attempts, so a worker
 * that owns nothing says why. Once the sink opens, the worker joins and the entry is gone.
 */
describe('SinkRunner start while a sink cannot open yet', () => {
  it('says which sink and why while it retries, and nothing once it joined', async () => {
    const slow = new RecordingSink({
      name: 'slow',
      tables: ['public.items'],
      redis,
      prefix: `{${namespace}:slow}`,
      worker: 'w2',
      failOpenFirst: 4,
    });
    const runner = new SinkRunner({
      redis,
      namespace,
      partitions: 2,
      sinks: [slow],
      logger: createLogger('runner-opening', 'error', { write: () => undefined }),
      backoff: { baseMs: 400, capMs: 800, random: () => 1 },
    });
    const started = runner.start();
    try {
      const seen = await waitFor(
        'the opening worker to say why',
        async () => (await openingStatuses(redis, keys, 5000)).find((o) => o.trouble?.sink === 'slow'),
        { timeoutMs: 10_000, intervalMs: 20 },
      );
      expect(seen.trouble).toMatchObject({ sink: 'slow', error: 'target not reachable yet' });
      expect(seen.trouble?.attempts).toBeGreaterThanOrEqual(1);
      await started;
      expect(await openingStatuses(redis, keys, 5000)).toEqual([]);
      expect(await redis.exists(keys.workerOpeningTrouble(seen.workerId))).toBe(0);
    } finally {
      await started.catch(() => undefined);
      await runner.stop();
    }
  });
});
