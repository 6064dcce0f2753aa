import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { afterAll, describe, expect, it } from 'vitest';
import { LogKeys, MaintenanceJobs, connectRedis, sinkPositions } from '@distributary/changelog';
import { redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import { SinkRunner } from '@distributary/worker';
import { MAINTENANCE_JOBS, SINK_RUNNER, SinkWorkerModule } from './sink-worker.module';
import { appendEvents, makeEvent } from '../../../libs/worker/src/testing/append-events';
import { deleteNamespace } from '@distributary/testkit';
import { RecordingSink, appliedRecords } from '../../../libs/worker/src/testing/recording-sink';

describe('SinkWorkerModule', () => {
  const namespace = uniqueName('nest');
  const keys = new LogKeys(namespace);
  const redis = connectRedis({ url: redisUrl() });
  afterAll(async () => {
    await deleteNamespace(redis, namespace);
    redis.disconnect();
  });

  it('runs the sinks with the Nest application and stops them with it', async () => {
    const prefix = `{${namespace}:rec}`;
    const workerRedis = connectRedis({ url: redisUrl() });
    const sink = new RecordingSink({ name: 'nest-sink', tables: ['public.items'], redis, prefix, worker: 'nest' });
    const app = await NestFactory.createApplicationContext(
      SinkWorkerModule.forSinks(async () => ({
        redis: workerRedis,
        namespace,
        partitions: 1,
        sinks: async () => [sink],
        blockMs: 100,
        maintenance: { policy: { mode: 'compact', minLag: 0, tombstones: 0, maxAge: 0 }, everyMs: 60_000 },
      })),
      { logger: false },
    );
    await app.init();
    const runner = app.get<SinkRunner>(SINK_RUNNER);
    expect(runner).toBeInstanceOf(SinkRunner);
    const events = [makeEvent('public.items', 1), makeEvent('public.items', 1, 'u')];
    await appendEvents(redis, keys, 1, events);
    await waitFor('both events applied', async () => (await appliedRecords(redis, prefix, 0)).length === 2);
    await waitFor(
      'the position committed',
      async () => (await sinkPositions(redis, keys, 'nest-sink', 1)).get(0) === `${events[1].pos.lsn}-0`,
    );
    const jobs = app.get<MaintenanceJobs>(MAINTENANCE_JOBS);
    // the scheduler runs a first pass at once; with an on-demand run on top, the superseded version is gone
    const report = await jobs.waitForReport(await jobs.runNow());
    expect(report.mode).toBe('compact');
    expect(await redis.xlen(keys.partition(0))).toBe(1);
    await jobs.unschedule();
    await jobs.queue.obliterate({ force: true });
    await app.close();
    expect(sink.opened).toBe(false);
    expect(await redis.exists(keys.lease(0, 'nest-sink'))).toBe(0);
  });
});
