import { z } from 'zod';

export const metricsSampleSchema = z.object({
  t: z.number().describe('unix ms'),
  retainedWalBytes: z.number().nullable(),
  logEntries: z.number(),
  appendRate: z.number().nullable().describe('entries appended per second over the last interval'),
  sinks: z.record(
    z.string(),
    z.object({
      lagEntries: z.number(),
      lagBytes: z.number(),
      lagSeconds: z.number().nullable(),
      throughput: z.number().nullable(),
      dlqSize: z.number(),
    }),
  ),
});

export const tailEventSchema = z.object({
  partition: z.number(),
  id: z.string(),
  op: z.string(),
  table: z.string(),
  key: z.unknown(),
  commitTs: z.string().nullable(),
  truncated: z.boolean().optional().describe('the key preview was cut (`?full=1` for operators)'),
});

export const tailBatchSchema = z.object({
  t: z.number(),
  seen: z.number().describe('events seen in this interval; `events` holds at most the sample size of them'),
  events: z.array(tailEventSchema),
});

export type MetricsSample = z.infer<typeof metricsSampleSchema>;
export type TailEvent = z.infer<typeof tailEventSchema>;
export type TailBatch = z.infer<typeof tailBatchSchema>;
