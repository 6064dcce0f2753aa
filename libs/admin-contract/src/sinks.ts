import { z } from 'zod';

/** One change-log partition (a Redis stream) as the admin API shows it. */
export const partitionSummarySchema = z.object({
  partition: z.number(),
  key: z.string(),
  length: z.number(),
  firstId: z.string().nullable(),
  lastId: z.string().nullable(),
  entriesAdded: z.number().describe('entries ever appended: survives compaction, so rates can be derived'),
  memoryBytes: z.number().nullable(),
});

export const sinkPartitionLagSchema = z.object({
  partition: z.number(),
  committedId: z.string().nullable(),
  lagEntries: z.number(),
  lagCapped: z.boolean().describe('lagEntries stopped counting at the cap (the real lag is at least that)'),
  lagBytes: z.string(),
  lagSeconds: z.number().nullable(),
});

/** Lag against the source (pg_current_wal_lsn()): "caught up" only when everything committed is applied. */
export const sourceLagSchema = z.object({
  appliedLsn: z.string(),
  sourceLsn: z.string(),
  bytes: z.string(),
  seconds: z.number().nullable(),
  caughtUp: z.boolean(),
  why: z.string().optional(),
});

export const fanOutStatusSchema = z
  .object({
    pending: z.number().describe('lookup/child keys whose roots wait for a re-index pass'),
    runningSince: z.string().optional().describe('ISO time the running pass started (absent: none runs)'),
    running: z.string().optional().describe('the key the running pass re-indexes the roots of (JSON)'),
    rootsReindexed: z.number().describe('roots re-indexed by passes so far, every worker'),
  })
  .describe('Elasticsearch sinks: the fan-out queue (roots re-indexed after lookup/child changes)');

export const sinkStateSchema = z.object({
  name: z.string(),
  kind: z.string().describe('the config key: elasticsearch | redis | view ("unknown" for a sink not configured)'),
  lagEntries: z.number(),
  lagCapped: z.boolean(),
  lagBytes: z.string().describe('LSN bytes, decimal string'),
  lagSeconds: z.number().nullable(),
  throughput: z.number().nullable().describe('entries consumed per second (null until two samples exist)'),
  errors: z.number().describe('partitions whose worker is retrying after an error right now'),
  degraded: z.array(z.string()).describe('why partitions are degraded (retrying a failed step longer than the bound)'),
  dlqSize: z.number(),
  paused: z.boolean(),
  partitions: z.array(sinkPartitionLagSchema),
  fanOut: fanOutStatusSchema.optional(),
  sourceLag: sourceLagSchema.optional(),
});

export type PartitionSummary = z.infer<typeof partitionSummarySchema>;
export type SinkPartitionLag = z.infer<typeof sinkPartitionLagSchema>;
export type SourceLag = z.infer<typeof sourceLagSchema>;
export type FanOutStatus = z.infer<typeof fanOutStatusSchema>;
export type SinkState = z.infer<typeof sinkStateSchema>;
