/**
 * A real sink worker process with one joined Elasticsearch sink (products with their category's
 * name), wired like production (createSink with the log: fan-out through the durable queue).
 * Configured by env FAN_OUT_WORKER = JSON { namespace, partitions, workerId, sourceUrl, index }.
 * Prints "ready" once started; SIGTERM stops it gracefully and prints "stopped".
 */
import { elasticsearchSinkSchema } from '@distributary/config';
import { LogKeys, connectRedis } from '@distributary/changelog';
import { createLogger } from '@distributary/observability';
import { esUrl, redisUrl } from '@distributary/testkit';
import { createSink } from '../create-sink';
import { SinkRunner } from '../sink-runner';

interface FanOutWorkerConfig {
  namespace: string;
  partitions: number;
  workerId: string;
  sourceUrl: string;
  index: string;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.FAN_OUT_WORKER ?? '{}') as FanOutWorkerConfig;
  const redis = connectRedis({ url: redisUrl() });
  const keys = new LogKeys(config.namespace);
  const sinkConfig = elasticsearchSinkSchema.parse({
    name: 'docs',
    elasticsearch: { url: esUrl(), index: config.index, settings: { number_of_replicas: 0 }, retireAfter: 0 },
    from: 'public.products',
    id: '{id}',
    document: { name: 'name', category: { from: 'public.categories', on: { id: 'category_id' }, fields: ['name'] } },
  });
  const logger = createLogger('fan-out-worker');
  const sink = await createSink(sinkConfig, {
    sourceUrl: config.sourceUrl,
    log: { redis, keys, partitions: config.partitions },
    owner: config.workerId,
    logger,
  });
  const runner = new SinkRunner({
    redis,
    namespace: config.namespace,
    partitions: config.partitions,
    workerId: config.workerId,
    sinks: [sink],
    blockMs: 200,
    leaseTtlMs: 3000,
    memberTtlMs: 3000,
    statusEveryMs: 500,
    logger,
  });
  await runner.start();
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    void runner.stop().then(() => {
      process.stdout.write(`stopped eventLoopDelayMaxMs=${runner.eventLoopDelayMaxMs()}\n`);
      redis.disconnect();
      process.exit(0);
    });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`fan-out worker failed: ${String(error)}\n`);
  process.exit(1);
});
