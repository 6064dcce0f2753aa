import { z } from 'zod';

/** One state-changing request that presented a valid token: who, what, when, outcome. */
export const auditEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  who: z.string().describe("the token's name"),
  role: z.string(),
  method: z.string(),
  path: z.string(),
  status: z.number(),
  client: z.string(),
  body: z.string().nullable().describe('a bounded summary of the body'),
});

/** GET /api/audit: newest first. */
export const auditPageSchema = z.object({
  enabled: z.boolean(),
  entries: z.array(auditEntrySchema),
  next: z.string().nullable().describe('pass as `before` for the next (older) page; null at the end'),
});

export type AuditEntry = z.infer<typeof auditEntrySchema>;
export type AuditPage = z.infer<typeof auditPageSchema>;
