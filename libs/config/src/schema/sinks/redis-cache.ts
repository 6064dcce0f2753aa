import { z } from 'zod';
import { duration, redisUrl, sinkName, tableName } from '../common';

export const redisCacheSinkSchema = z.strictObject({
  name: sinkName,
  redis: z.union([
    z.strictObject({ url: redisUrl }),
    z.strictObject({ cluster: z.array(redisUrl).min(1, 'at least one cluster node') }),
  ]),
  from: tableName,
  key: z.string().min(1),
  ttl: duration.optional(),
});

export type RedisCacheSinkConfig = z.infer<typeof redisCacheSinkSchema>;
