import { z } from 'zod';
import { logSchema } from './log';
import { sourceSchema } from './source';
import { elasticsearchSinkSchema } from './sinks/elasticsearch';
import { materializedViewSinkSchema } from './sinks/materialized-view';
import { redisCacheSinkSchema } from './sinks/redis-cache';

export const sinkSchema = z.union([elasticsearchSinkSchema, redisCacheSinkSchema, materializedViewSinkSchema]);

export const configSchema = z.strictObject({
  source: sourceSchema,
  log: logSchema,
  sinks: z.array(sinkSchema).default([]),
});

export type DistributaryConfig = z.infer<typeof configSchema>;
export type SinkConfig = z.infer<typeof sinkSchema>;
