import { describe, expect, it } from 'vitest';
import { startSinkWorker } from './sink-worker-process';
import { HEALTHY_LIFECYCLE, runWorkerLifecycle } from './testing/worker-lifecycle';

describe('startSinkWorker (the worker role without NestJS)', () => {
  it('runs the sinks and the maintenance jobs, and stop() closes the sinks and releases the leases', async () => {
    expect(await runWorkerLifecycle('plainworker', startSinkWorker)).toEqual(HEALTHY_LIFECYCLE);
  });
});
