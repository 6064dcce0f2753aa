import { z } from 'zod';

export const deadLetterSchema = z.object({
  id: z.string(),
  sink: z.string(),
  partition: z.number().nullable(),
  time: z.string().nullable(),
  error: z.string().nullable(),
  table: z.string().nullable(),
  op: z.string().nullable(),
  key: z.unknown(),
  eventId: z.string().nullable(),
  fields: z
    .record(z.string(), z.unknown())
    .describe('every field of the stream entry, parsed when JSON (a bounded preview unless asked in full)'),
  truncated: z.boolean().describe('the preview cut something: an operator gets everything with `?full=1`'),
});

export const deadLetterPageSchema = z.object({
  sink: z.string(),
  total: z.number(),
  entries: z.array(deadLetterSchema),
  next: z.string().nullable().describe('pass as `after` for the next page; null at the end'),
});

export type DeadLetter = z.infer<typeof deadLetterSchema>;
export type DeadLetterPage = z.infer<typeof deadLetterPageSchema>;
