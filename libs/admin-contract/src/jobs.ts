import { z } from 'zod';

const run = z.object({ at: z.string(), report: z.unknown() }).nullable();

export const compactionStatusSchema = z.object({
  policy: z.object({
    mode: z.enum(['compact', 'time']),
    tombstones: z.number(),
    minLag: z.number(),
    maxAge: z.number(),
    every: z.number(),
  }),
  entries: z.number(),
  memoryBytes: z.number(),
  partitions: z.array(z.object({ partition: z.number(), length: z.number(), memoryBytes: z.number().nullable() })),
  lastRun: run.describe('the last run started from this admin process'),
  lastScheduledRun: run.describe("the newest completed run of the workers' BullMQ maintenance job"),
});

export const snapshotJobSchema = z.object({
  id: z.string(),
  kind: z.enum(['initial', 'incremental']),
  status: z.string().nullable(),
  progress: z.number().nullable().describe('0..1 when the job reports enough to tell'),
  rowsDone: z.number().nullable(),
  rowsTotal: z.number().nullable(),
  tables: z.array(z.string()),
  createdAt: z.string().nullable(),
  fields: z
    .record(z.string(), z.unknown())
    .describe("the job's hash as stored (reason: 'schema change: …', 'cli', 'config: table added', …)"),
});

export type CompactionStatus = z.infer<typeof compactionStatusSchema>;
export type SnapshotJob = z.infer<typeof snapshotJobSchema>;
