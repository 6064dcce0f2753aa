import { z } from 'zod';
import type { SinkKind } from '@distributary/core';
import { adminSchema } from './admin';
import { logSchema } from './log';
import { sourceSchema } from './source';
import { verifySchema } from './verify';
import { workersSchema } from './workers';
import { gatewaySchema, subscriptionsSchema } from './gateway';
import { elasticsearchSinkSchema } from './sinks/elasticsearch';
import { materializedViewSinkSchema } from './sinks/materialized-view';
import { redisCacheSinkSchema } from './sinks/redis-cache';

/**
 * The sink kinds, keyed by the one property that selects them. loadConfig dispatches on that key
 * itself (a sink has exactly one of them), so users never see zod's union error soup; the union below
 * is for types and the JSON Schema.
 */
export const sinkSchemasByKind = {
  elasticsearch: elasticsearchSinkSchema,
  redis: redisCacheSinkSchema,
  view: materializedViewSinkSchema,
} as const satisfies Record<SinkKind, z.ZodType>;
/** The sink kinds are core's (`Sink.kind`): one name each, here the key that selects a sink. */
export type { SinkKind };
export const sinkKinds = Object.keys(sinkSchemasByKind) as SinkKind[];

export const sinkSchema = z.union([elasticsearchSinkSchema, redisCacheSinkSchema, materializedViewSinkSchema]);

export const configSchema = z.strictObject({
  source: sourceSchema,
  log: logSchema,
  sinks: z.array(sinkSchema).default([]),
  admin: adminSchema,
  verify: verifySchema,
  workers: workersSchema,
  gateway: gatewaySchema.optional(),
  subscriptions: subscriptionsSchema.optional(),
});

export type DistributaryConfig = z.infer<typeof configSchema>;
export type SinkConfig = z.infer<typeof sinkSchema>;
