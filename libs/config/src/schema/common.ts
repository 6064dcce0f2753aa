import { z } from 'zod';

export { ageDuration, duration, durationMs, MAX_AGE_MS, MAX_TIMER_MS, parseDuration } from './durations';

/** 'schema.table'; a bare name means 'public.<name>'. */
export const tableName = z
  .string()
  .regex(/^([a-z_][a-z0-9_$]*\.)?[a-z_][a-z0-9_$]*$/, 'a table name like public.products (lower-case identifiers)')
  .transform((name) => (name.includes('.') ? name : `public.${name}`));

export const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL');
export const redisUrl = z.string().regex(/^rediss?:\/\//, 'a redis:// URL');
export const httpUrl = z.string().regex(/^https?:\/\//, 'an http:// or https:// URL');
export const sinkName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');
