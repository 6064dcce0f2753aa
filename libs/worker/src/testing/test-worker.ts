/**
 * A real sink worker process for the multi-worker tests: SinkRunner over the log in Redis with two
 * RecordingSinks. Configured by env TEST_WORKER = JSON { namespace, partitions, workerId, prefix, cluster? }.
 * Prints "ready" once started; SIGTERM stops it gracefully.
 */
import { connectRedis } from '@distributary/changelog';
import { redisUrl, clusterNodes } from '@distributary/testkit';
import { SinkRunner } from '../sink-runner';
import { RecordingSink } from './recording-sink';

interface TestWorkerConfig {
  namespace: string;
  partitions: number;
  workerId: string;
  prefix: string;
  sinks: string[];
  cluster?: boolean;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.TEST_WORKER ?? '{}') as TestWorkerConfig;
  const redis = config.cluster
    ? connectRedis({ cluster: clusterNodes().map((n) => `redis://${n.host}:${n.port}`) })
    : connectRedis({ url: redisUrl() });
  const runner = new SinkRunner({
    redis,
    namespace: config.namespace,
    partitions: config.partitions,
    workerId: config.workerId,
    sinks: config.sinks.map(
      (name) =>
        new RecordingSink({
          name,
          tables: ['public.items'],
          redis,
          prefix: `${config.prefix}:${name}`,
          worker: config.workerId,
        }),
    ),
    batchSize: 5,
    blockMs: 200,
    leaseTtlMs: 2000,
    memberTtlMs: 2000,
    statusEveryMs: 300,
    backoff: { baseMs: 10, capMs: 200 },
  });
  await runner.start();
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    void runner.stop().then(() => {
      redis.disconnect();
      process.exit(0);
    });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`test worker failed: ${String(error)}\n`);
  process.exit(1);
});
