import { BadRequestException } from '@nestjs/common';
import { z } from 'zod';

/** Request bodies, validated with zod; a bad body is a 400 naming the field. */
export const idsBody = z.strictObject({ ids: z.array(z.string().regex(/^\d+-\d+$/, 'a stream entry ID')).optional() });
export const replayBody = z.strictObject({ from: z.string().min(1) });
export const snapshotStartBody = z.strictObject({
  tables: z.array(z.string().min(1)).optional(),
  where: z.string().min(1).optional(),
});

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
  throw new BadRequestException(issues.join('; '));
}

export function parseLimit(text: string | undefined, fallback = 50, max = 500): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new BadRequestException(`limit must be an integer between 1 and ${max}`);
  return n;
}
