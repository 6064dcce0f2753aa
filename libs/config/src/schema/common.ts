import { z } from 'zod';
import { canonicalTable, parseColumnName, parseQualifiedName } from '@distributary/core';

import { parseKeyTemplate } from '../templates';

export { ageDuration, duration, durationMs, MAX_AGE_MS, MAX_TIMER_MS, parseDuration } from './durations';

/**
 * A table: `name`, `schema.name` or quoted parts (`public."Order Items"`, `"a.b"."x ""y"""`), read as
 * PostgreSQL reads names (unquoted parts fold to lower case); a bare name means `public.<name>`. The
 * value becomes the canonical form (libs/core identifiers): plain parts bare, others quoted.
 */
export const tableName = z.string().transform((text, ctx) => {
  try {
    const { schema, table } = parseQualifiedName(text);
    return canonicalTable(schema, table);
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a table name like public.products or "My Schema"."My Table" (${(error as Error).message})`,
    });
    return z.NEVER;
  }
});

/** A column: a plain identifier as written, or a quoted one (`"Order Id"`) meaning exactly that name. */
export function columnName(plain: RegExp, expected: string) {
  return z.string().transform((text, ctx) => {
    if (!text.startsWith('"')) {
      if (plain.test(text)) return text;
      ctx.addIssue({ code: 'custom', message: `expected ${expected} (or a quoted name like "Order Id")` });
      return z.NEVER;
    }
    try {
      return parseColumnName(text);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a quoted column name like "Order Id" (${(error as Error).message})`,
      });
      return z.NEVER;
    }
  });
}

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
