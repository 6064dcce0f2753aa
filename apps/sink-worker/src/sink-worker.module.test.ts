import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import type { MaintenanceJobs } from '@distributary/changelog';
import { SinkRunner } from '@distributary/worker';
import { MAINTENANCE_JOBS, SINK_RUNNER, SinkWorkerModule } from './sink-worker.module';
import { HEALTHY_LIFECYCLE, runWorkerLifecycle } from '../../../libs/worker/src/testing/worker-lifecycle';

describe('SinkWorkerModule', () => {
  it('runs the sinks with the Nest application and stops them with it', async () => {
    const life = await runWorkerLifecycle('nest', async (options) => {
      const app = await NestFactory.createApplicationContext(
        SinkWorkerModule.forSinks(async () => options),
        { logger: false },
      );
      await app.init();
      expect(app.get<SinkRunner>(SINK_RUNNER)).toBeInstanceOf(SinkRunner);
      return { maintenance: app.get<MaintenanceJobs>(MAINTENANCE_JOBS), stop: () => app.close() };
    });
    expect(life).toEqual(HEALTHY_LIFECYCLE);
  });
});
