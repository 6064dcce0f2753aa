import { z } from 'zod';

/** "500ms", "10s", "10m", "24h", "7d" or a number of milliseconds. */
export const duration = z
  .union([
    z.number().int().nonnegative(),
    z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration like 500ms, 10s, 10m, 24h or 7d'),
  ])
  .transform((value) => (typeof value === 'number' ? value : parseDuration(value)));

export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** 'schema.table'; a bare name means 'public.<name>'. */
export const tableName = z
  .string()
  .regex(/^([a-z_][a-z0-9_$]*\.)?[a-z_][a-z0-9_$]*$/, 'a table name like public.products (lower-case identifiers)')
  .transform((name) => (name.includes('.') ? name : `public.${name}`));

export const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL');
export const redisUrl = z.string().regex(/^rediss?:\/\//, 'a redis:// URL');
export const httpUrl = z.string().regex(/^https?:\/\//, 'an http:// or https:// URL');
export const sinkName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');
