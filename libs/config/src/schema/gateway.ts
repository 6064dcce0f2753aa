import jsonata from 'jsonata';
import { z } from 'zod';
import { columnName, duration, tableName } from './common';

/**
 * The `gateway` role (live subscriptions over SSE) and the `subscriptions` it serves. A subscription
 * filter is a JSONata predicate (the Redis cache sink's filter language) whose parameters are written
 * `:name` — a colon directly followed by a letter or `_` outside string literals, so a ternary or an
 * object constructor needs a space after its colon (`a ? b : c`, `{"k": v}`).
 */

const PARAM = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const COLUMN = /^[A-Za-z_][A-Za-z0-9_$]*$/;
/** The JSONata variable a parameter `:name` becomes. */
export const FILTER_PARAM_PREFIX = '__param_';

function isNameStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}
function isNameChar(code: number): boolean {
  return isNameStart(code) || (code >= 48 && code <= 57);
}

/**
 * Rewrites a filter's `:name` parameters into JSONata variables (`$__param_name`), and lists them.
 * One forward scan (linear): string literals ("…", '…' with backslash escapes), backquoted names and
 * comments are copied untouched.
 */
export function rewriteFilterParams(filter: string): { expression: string; params: string[] } {
  const params = new Set<string>();
  let out = '';
  let i = 0;
  while (i < filter.length) {
    const c = filter[i];
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < filter.length && filter[j] !== c) j += filter[j] === '\\' && c !== '`' ? 2 : 1;
      out += filter.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && filter[i + 1] === '*') {
      const end = filter.indexOf('*/', i + 2);
      const stop = end < 0 ? filter.length : end + 2;
      out += filter.slice(i, stop);
      i = stop;
    } else if (c === ':' && isNameStart(filter.charCodeAt(i + 1))) {
      let j = i + 1;
      while (j < filter.length && isNameChar(filter.charCodeAt(j))) j++;
      const name = filter.slice(i + 1, j);
      params.add(name);
      out += `$${FILTER_PARAM_PREFIX}${name}`;
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return { expression: out, params: [...params] };
}

const secret = z
  .string()
  .min(32, 'a secret of at least 32 characters (keep it in ${ENV} or ${file:…})')
  .describe('HMAC key (HS256) shared with the application backend that mints tokens; at least 32 characters');

export const gatewayKeySchema = z
  .strictObject({
    kid: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" or "-" (at most 64)')
      .describe('Key id, carried in the token header; several keys allow rotation'),
    secret,
  })
  .describe('A token signing key');

export const gatewaySchema = z
  .strictObject({
    port: z.number().int().min(1).max(65535).default(8090).describe('HTTP port of the subscription gateway'),
    host: z.string().min(1).default('127.0.0.1').describe('Address to listen on; 127.0.0.1 unless set'),
    keys: z
      .array(gatewayKeySchema)
      .min(1, 'at least one signing key')
      .describe('Keys that verify client tokens (the `kid` header selects one); list the new key first when rotating')
      .superRefine((keys, ctx) => {
        const seen = new Set<string>();
        keys.forEach((key, index) => {
          if (seen.has(key.kid))
            ctx.addIssue({
              code: 'custom',
              path: [index, 'kid'],
              message: `expected a unique kid, "${key.kid}" again`,
            });
          seen.add(key.kid);
        });
      }),
    heartbeat: duration
      .refine((ms) => ms >= 1000, 'at least 1s')
      .default(15_000)
      .describe('A `: ping` comment line this often on every open stream'),
    afterTimeout: duration
      .refine((ms) => ms >= 100, 'at least 100ms')
      .default(30_000)
      .describe(
        'How long `?after=<lsn>` may hold `ready` back; then the stream sends `event: error` (reason "after-timeout") and closes',
      ),
    maxBufferBytes: z
      .number()
      .int()
      .min(4096)
      .default(1_048_576)
      .describe(
        'Bytes of changes a subscriber may fall behind while its socket is full before it gets `event: lagging` and is closed',
      ),
  })
  .describe('The subscription gateway: live subscriptions over Server-Sent Events with valet-key tokens');

const filter = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    try {
      jsonata(rewriteFilterParams(text).expression);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `JSONata syntax error: ${(error as Error).message}` });
    }
  });

export const subscriptionSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and dashes (at most 64)'),
    table: tableName.describe('The table, as in source.tables (quoted names allowed)'),
    filter: filter
      .optional()
      .describe(
        'JSONata predicate over the row (the Redis cache filter language) with parameters `:name`, e.g. ' +
          '`category_id = :category`. A parameter that looks like an integer (`3`, `-12`) is a number, ' +
          'anything else a string. Default: every row.',
      ),
    params: z
      .array(z.string().regex(PARAM, 'a parameter name: a letter or _ then letters, digits, _'))
      .default([])
      .describe('Parameter names the client passes in the query string and the token carries'),
    columns: z
      .array(columnName(COLUMN, 'a column name'))
      .min(1)
      .optional()
      .describe('Projection sent to clients (key columns are always sent in `key`). Default: every column.'),
    order: z
      .array(
        z.strictObject({
          column: columnName(COLUMN, 'a column name'),
          direction: z.enum(['asc', 'desc']).default('asc'),
        }),
      )
      .min(1)
      .max(8)
      .optional()
      .describe(
        'Sort order of the rows (PostgreSQL semantics: NULLS LAST ascending, FIRST descending; text by code point ' +
          'as COLLATE "C"; ties broken by the primary key ascending). Checked against the table when the gateway starts.',
      ),
    limit: z
      .number()
      .int()
      .positive()
      .max(100_000)
      .optional()
      .describe(
        'Top N: the subscriber sees exactly the first N matching rows in `order` (by primary key without `order`); ' +
          'rows entering or leaving the top N are inserts and deletes, the next row backfills one that leaves',
      ),
  })
  .superRefine((subscription, ctx) => {
    const ordered = new Set<string>();
    subscription.order?.forEach(({ column }, index) => {
      if (ordered.has(column))
        ctx.addIssue({ code: 'custom', path: ['order', index, 'column'], message: `"${column}" is ordered by twice` });
      ordered.add(column);
    });
    const declared = new Set(subscription.params);
    if (declared.size !== subscription.params.length)
      ctx.addIssue({ code: 'custom', path: ['params'], message: 'expected unique parameter names' });
    if (subscription.filter === undefined) return;
    for (const name of rewriteFilterParams(subscription.filter).params) {
      if (!declared.has(name))
        ctx.addIssue({
          code: 'custom',
          path: ['filter'],
          message: `the filter uses :${name}, which is not declared in params (${[...declared].join(', ') || 'none'})`,
        });
    }
  })
  .describe('A live subscription: the rows of a table matching a parameterised filter, then every change');

export const subscriptionsSchema = z.array(subscriptionSchema).superRefine((subscriptions, ctx) => {
  const seen = new Map<string, number>();
  subscriptions.forEach((subscription, index) => {
    const first = seen.get(subscription.name);
    if (first !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [index, 'name'],
        message: `expected a unique subscription name, found "${subscription.name}" again (subscriptions[${first}])`,
      });
    else seen.set(subscription.name, index);
  });
});

export type GatewayConfig = z.infer<typeof gatewaySchema>;
export type GatewayKey = z.infer<typeof gatewayKeySchema>;
export type SubscriptionConfig = z.infer<typeof subscriptionSchema>;
