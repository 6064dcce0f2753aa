import { z } from 'zod';

/** The last verification of one sink (libs/verify StoredVerifyResult), the fields the API promises. */
export const verifyOutcomeSchema = z.object({
  sink: z.string(),
  status: z.enum(['clean', 'different', 'behind', 'error']),
  lsn: z.string(),
  verifiedAt: z.string(),
  expectedCount: z.number(),
  missingCount: z.number(),
  extraCount: z.number(),
  differentCount: z.number(),
  error: z.string().optional(),
});

export const verifyResultSchema = verifyOutcomeSchema.extend({
  afterRepair: verifyOutcomeSchema.optional().describe('when a repair ran: the verification after it'),
});

export type VerifyOutcome = z.infer<typeof verifyOutcomeSchema>;
export type VerifyResult = z.infer<typeof verifyResultSchema>;
