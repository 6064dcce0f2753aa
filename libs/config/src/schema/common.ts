import { z } from 'zod';

import { parseKeyTemplate } from '../templates';

export { ageDuration, duration, durationMs, MAX_AGE_MS, MAX_TIMER_MS, parseDuration } from './durations';

/** 'schema.table'; a bare name means 'public.<name>'. */
export const tableName = z
  .string()
  .regex(/^([a-z_][a-z0-9_$]*\.)?[a-z_][a-z0-9_$]*$/, 'a table name like public.products (lower-case identifiers)')
  .transform((name) => (name.includes('.') ? name : `public.${name}`));

export { httpUrl, postgresUrl, redisUrl, urlProblem } from './urls';
export const sinkName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');

/** A key / id template (see templates.ts): the same rules for Redis keys and Elasticsearch ids. */
export const keyTemplate = z
  .string()
  .min(1)
  .superRefine((template, ctx) => {
    try {
      parseKeyTemplate(template);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `key template: ${(error as Error).message}` });
    }
  });
