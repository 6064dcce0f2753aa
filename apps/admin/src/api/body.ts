import { BadRequestException } from '@nestjs/common';
import { z } from 'zod';
import { MAX_WHERE_LENGTH } from '@distributary/pg-snapshot';
import { isStreamId } from './params';

/** Request bodies, validated with zod; a bad body is a 400 naming the field. */
export const MAX_IDS = 10_000;
export const idsBody = z.strictObject({
  ids: z
    .array(z.string().refine(isStreamId, 'a stream entry ID like 1718000000000-0'))
    .max(MAX_IDS)
    .optional()
    .describe('dead-letter entry IDs; omit for all'),
});
export const replayBody = z.strictObject({
  from: z
    .string()
    .min(1)
    .max(64)
    .describe('"start", an entry ID ("23456789-0") or an LSN ("16/B374D848")')
    .meta({ example: 'start' }),
});
export const snapshotStartBody = z.strictObject({
  tables: z.array(z.string().min(1).max(200)).max(1000).optional().describe('omit for every configured table'),
  where: z.string().min(1).max(MAX_WHERE_LENGTH).optional(),
});

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  // At most a few issues, each path bounded: the answer never grows with the body.
  const issues = result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.slice(0, 4).join('.').slice(0, 100) || 'body'}: ${i.message.slice(0, 200)}`);
  throw new BadRequestException(issues.join('; '));
}
