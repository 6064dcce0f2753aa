/** The degraded bound comes from the YAML key `workers.degradedAfter`; DISTRIBUTARY_DEGRADED_AFTER_MS overrides it. */
import { afterAll, describe, expect, it } from 'vitest';
import { LogKeys, connectRedis, readWorkerStatus } from '@distributary/changelog';
import { parseConfig, type DistributaryConfig } from '@distributary/config';
import { deleteNamespace, redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import { SinkRunner } from './sink-runner';
import { appendEvents, makeEvent } from './testing/append-events';
import { RecordingSink } from './testing/recording-sink';
import { degradedAfterFromEnv, sinkWorkerOptionsFromConfig } from './worker-options';

const redis = connectRedis({ url: redisUrl() });
const namespaces: string[] = [];

afterAll(async () => {
  for (const namespace of namespaces) await deleteNamespace(redis, namespace);
  redis.disconnect();
});

function config(workers: string, namespace = uniqueName('dgb')): DistributaryConfig {
  namespaces.push(namespace);
  const text = [
    'source:',
    '  postgres: { url: "postgres://postgres@127.0.0.1:1/none" }',
    '  tables: [public.items]',
    'log:',
    `  redis: { url: "${redisUrl()}" }`,
    `  namespace: ${namespace}`,
    '  partitions: 1',
    workers,
    '',
  ].join('\n');
  return parseConfig(text, { file: 'degraded-bound.yaml', env: {} });
}

/** The options the worker (apps/sink-worker main and the CLI's worker role) builds from the configuration. */
function workerOptions(cfg: DistributaryConfig) {
  const options = sinkWorkerOptionsFromConfig(cfg, () => {
    throw new Error('no sinks in this test');
  });
  options.redis.disconnect();
  return options;
}

describe('workers.degradedAfter', () => {
  it('defaults to 60s and accepts a duration', () => {
    expect(config('').workers.degradedAfter).toBe(60_000);
    expect(config('workers: { degradedAfter: 90s }').workers.degradedAfter).toBe(90_000);
    expect(() => config('workers: { degradedAfter: soon }')).toThrow(/degradedAfter/);
    expect(() => config('workers: { degradedAfter: 0 }')).toThrow(/degradedAfter/);
  });

  it('reaches the worker options, and the environment variable overrides it', () => {
    const saved = process.env.DISTRIBUTARY_DEGRADED_AFTER_MS;
    try {
      delete process.env.DISTRIBUTARY_DEGRADED_AFTER_MS;
      expect(workerOptions(config('workers: { degradedAfter: 2m }')).degradedAfterMs).toBe(120_000);
      process.env.DISTRIBUTARY_DEGRADED_AFTER_MS = '1500';
      expect(workerOptions(config('workers: { degradedAfter: 2m }')).degradedAfterMs).toBe(1500);
    } finally {
      if (saved === undefined) delete process.env.DISTRIBUTARY_DEGRADED_AFTER_MS;
      else process.env.DISTRIBUTARY_DEGRADED_AFTER_MS = saved;
    }
    expect(degradedAfterFromEnv({})).toBeUndefined();
    expect(() => degradedAfterFromEnv({ DISTRIBUTARY_DEGRADED_AFTER_MS: '0' })).toThrow(/at least 1/);
  });

  it('a worker built from a YAML bound of 150ms reports a retrying partition as degraded', async () => {
    const saved = process.env.DISTRIBUTARY_DEGRADED_AFTER_MS;
    delete process.env.DISTRIBUTARY_DEGRADED_AFTER_MS;
    const cfg = config('workers: { degradedAfter: 150ms }');
    if (saved !== undefined) process.env.DISTRIBUTARY_DEGRADED_AFTER_MS = saved;
    const keys = new LogKeys(cfg.log.namespace);
    const sink = new RecordingSink({
      name: 'flaky',
      tables: ['public.items'],
      redis,
      prefix: uniqueName('dgbrec'),
      worker: 'w1',
      failFirst: Number.MAX_SAFE_INTEGER,
    });
    await appendEvents(redis, keys, 1, [makeEvent('public.items', 1)]);
    const { degradedAfterMs } = workerOptions(cfg);
    expect(degradedAfterMs).toBe(150);
    const runner = new SinkRunner({
      redis,
      namespace: cfg.log.namespace,
      partitions: 1,
      sinks: [sink],
      blockMs: 100,
      statusEveryMs: 100,
      degradedAfterMs,
      backoff: { baseMs: 5, capMs: 30 },
    });
    await runner.start();
    try {
      await waitFor('the partition to be reported degraded', async () => {
        const status = await readWorkerStatus(redis, keys, runner.workerId);
        return status?.owned.some((o) => o.degraded);
      });
      expect(runner.degradedReasons()[0]).toMatch(/sink flaky partition 0: apply retrying/);
    } finally {
      await runner.stop();
    }
  });
});
