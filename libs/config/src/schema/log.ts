import { z } from 'zod';
import { ageDuration, duration, redisUrl } from './common';

export const logSchema = z.strictObject({
  redis: z.union([
    z.strictObject({ url: redisUrl }),
    z.strictObject({ cluster: z.array(redisUrl).min(1, 'at least one cluster node') }),
  ]),
  /** Prefix of every key the log uses, so several pipelines can share one Redis. */
  namespace: z
    .string()
    .regex(/^[a-z0-9_-]+$/, 'lower-case letters, digits, _ and -')
    .default('distributary'),
  partitions: z.number().int().min(1).max(1024).default(8),
  retention: z
    .strictObject({
      mode: z.enum(['compact', 'time']).default('compact'),
      /** compact: how long delete tombstones are kept. */
      tombstones: ageDuration.default(86_400_000),
      /** compact: nothing younger than this is touched. */
      minLag: ageDuration.default(600_000),
      /** time: entries older than this are trimmed. */
      maxAge: ageDuration.default(7 * 86_400_000),
      /** How often the compaction / trim job runs. */
      every: duration.default(300_000),
    })
    .prefault({}),
});

export type LogConfig = z.infer<typeof logSchema>;
