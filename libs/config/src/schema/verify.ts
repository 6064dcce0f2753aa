import { z } from 'zod';
import { duration } from './common';

/** Scheduled verification of every sink against the source (libs/verify), run as a BullMQ repeatable job. */
export const verifySchema = z
  .strictObject({
    every: duration
      .refine((ms) => ms === 0 || ms >= 1000, '0 (off) or at least 1s')
      .default(0)
      .describe('How often every sink is verified against the source; 0 turns scheduled verification off'),
    mode: z
      .enum(['sample', 'full'])
      .default('sample')
      .describe('full: compare every key; sample: about `sampleSize` keys per sink, chosen by key hash'),
    sampleSize: z.number().int().min(1).default(1000).describe('Keys per sink in sample mode'),
    timeout: duration
      .default(60_000)
      .describe('How long verification waits for a sink to catch up with the source LSN it verifies at'),
  })
  .prefault({})
  .describe('Scheduled verification of sinks against the source');

export type VerifyConfig = z.infer<typeof verifySchema>;
