import { z } from 'zod';

/** A live sink worker's published status (libs/changelog sink-control.ts), the fields the API promises. */
export const workerStatusSchema = z.object({
  workerId: z.string(),
  host: z.string(),
  pid: z.number(),
  updatedAt: z.string(),
  owned: z
    .array(z.object({ sink: z.string(), partition: z.number(), state: z.string() }))
    .describe('owned (sink, partition) pairs'),
});

/** A live subscription gateway's published status (libs/gateway), numbers over its last interval. */
export const gatewayStatusSchema = z.object({
  instanceId: z.string(),
  host: z.string(),
  pid: z.number(),
  updatedAt: z.string(),
  subscribers: z.number(),
  deliveredPerSecond: z.number(),
  lagP50Ms: z.number().nullable(),
  lagP99Ms: z.number().nullable(),
  drops: z.number().describe('streams cut for not reading fast enough, since start'),
});

export type WorkerStatus = z.infer<typeof workerStatusSchema>;
export type GatewayStatus = z.infer<typeof gatewayStatusSchema>;
