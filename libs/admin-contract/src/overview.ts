import { z } from 'zod';
import { gatewayStatusSchema, workerStatusSchema } from './peers';
import { partitionSummarySchema, sinkStateSchema } from './sinks';
import { sourceStatusSchema } from './source';

export const roleSchema = z.enum(['viewer', 'operator']);

/** GET /api/overview: what the dashboard shows in one answer. The source is an error message when the
 *  source Postgres cannot be reached (the driver's message stays in the admin's log). */
export const overviewSchema = z.object({
  source: z.union([sourceStatusSchema, z.object({ error: z.string() })]),
  partitions: z.array(partitionSummarySchema),
  sinks: z.array(sinkStateSchema),
  workers: z.array(workerStatusSchema).describe('live sink workers and what they own'),
  gateways: z
    .array(gatewayStatusSchema)
    .describe('live subscription gateways: subscribers, deliveries/s, delivery lag, drops'),
});

/** The body of every error answer. */
export const errorSchema = z.object({ statusCode: z.number(), message: z.string(), error: z.string() });

export type Role = z.infer<typeof roleSchema>;
export type Overview = z.infer<typeof overviewSchema>;
