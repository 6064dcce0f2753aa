import { z } from 'zod';
import { duration } from './common';

/** Settings of the sink workers (apps/sink-worker, the worker role of `distributary run`). */
export const workersSchema = z
  .strictObject({
    degradedAfter: duration
      .refine((ms) => ms >= 1, 'at least 1ms')
      .default(60_000)
      .describe(
        'A sink partition retrying a failed step for longer than this shows as degraded (status, /health/ready, ' +
          'distributary_sink_degraded); the environment variable DISTRIBUTARY_DEGRADED_AFTER_MS overrides it',
      ),
  })
  .prefault({})
  .describe('Sink worker settings');

export type WorkersConfig = z.infer<typeof workersSchema>;
