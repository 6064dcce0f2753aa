import { afterAll, describe, expect, it } from 'vitest';
import { LogKeys, connectRedis, sinkPositions } from '@distributary/changelog';
import { deleteNamespace, redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import { startSinkWorker } from './sink-worker-process';
import { appendEvents, makeEvent } from './testing/append-events';
import { RecordingSink, appliedRecords } from './testing/recording-sink';

describe('startSinkWorker (the worker role without NestJS)', () => {
  const namespace = uniqueName('plainworker');
  const keys = new LogKeys(namespace);
  const redis = connectRedis({ url: redisUrl() });
  afterAll(async () => {
    await deleteNamespace(redis, namespace);
    redis.disconnect();
  });

  it('runs the sinks and the maintenance jobs, and stop() closes the sinks and releases the leases', async () => {
    const prefix = `{${namespace}:rec}`;
    const workerRedis = connectRedis({ url: redisUrl() });
    const sink = new RecordingSink({ name: 'plain-sink', tables: ['public.items'], redis, prefix, worker: 'plain' });
    const worker = await startSinkWorker({
      redis: workerRedis,
      namespace,
      partitions: 1,
      sinks: async () => [sink],
      blockMs: 100,
      maintenance: { policy: { mode: 'compact', minLag: 0, tombstones: 0, maxAge: 0 }, everyMs: 60_000 },
    });
    const events = [makeEvent('public.items', 1), makeEvent('public.items', 1, 'u')];
    await appendEvents(redis, keys, 1, events);
    await waitFor('both events applied', async () => (await appliedRecords(redis, prefix, 0)).length === 2);
    await waitFor(
      'the position committed',
      async () => (await sinkPositions(redis, keys, 'plain-sink', 1)).get(0) === `${events[1].pos.lsn}-0`,
    );
    const jobs = worker.maintenance!;
    // the scheduler runs a first pass at once; with an on-demand run on top, the superseded version is gone
    const report = await jobs.waitForReport(await jobs.runNow());
    expect(report.mode).toBe('compact');
    expect(await redis.xlen(keys.partition(0))).toBe(1);
    await jobs.unschedule();
    await jobs.queue.obliterate({ force: true });
    await worker.stop();
    expect(sink.opened).toBe(false);
    expect(await redis.exists(keys.lease(0, 'plain-sink'))).toBe(0);
    // disconnect() ends the connection on a later tick
    await waitFor('the worker connection closed', async () => workerRedis.status === 'end');
  });
});
