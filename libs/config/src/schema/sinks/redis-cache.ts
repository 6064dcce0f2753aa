import jsonata from 'jsonata';
import { z } from 'zod';
import { ageDuration, columnName, duration, keyTemplate, redisUrl, sinkName, tableName } from '../common';

export { parseKeyTemplate, templateColumns, type KeyTemplatePart } from '../../templates';

const COLUMN = /^[A-Za-z_][A-Za-z0-9_$]*$/;

const jsonataPredicate = z
  .string()
  .min(1)
  .superRefine((expression, ctx) => {
    try {
      jsonata(expression);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `JSONata syntax error: ${(error as Error).message}` });
    }
  });

const column = columnName(COLUMN, 'a column name');

const FILTER_HELP =
  'JSONata expression over the row (https://jsonata.org), e.g. `status = "active" and $number(price) > 0`. ' +
  'Must evaluate to true or false (no result counts as false). Rows that match are cached; a row that stops ' +
  'matching is removed (with a versioned tombstone). int8/numeric columns arrive as strings: compare them ' +
  'through $number(). An expression that fails on a row dead-letters that event.';

export const redisCacheQuerySchema = z
  .strictObject({
    key: keyTemplate.describe(
      'Key template of the group this row belongs to, e.g. `category:{category_id}:products`. A row whose ' +
        'group column is null belongs to no group.',
    ),
    member: keyTemplate
      .optional()
      .describe('Template of the member stored in the group; defaults to the sink `key` (so readers can GET it).'),
    score: column
      .optional()
      .describe(
        'Column used as the sorted-set score (number, numeric text or ISO timestamp → epoch ms). ' +
          'Without it the group is a plain set.',
      ),
    limit: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'Top-N cap: keep only the N best members by score (needs `score`). A member pushed out comes back ' +
          'only when its row is written again; after deletes the group may hold fewer than N until then.',
      ),
    order: z
      .enum(['desc', 'asc'])
      .default('desc')
      .describe('Which members are "best" for `limit`: desc keeps the highest scores, asc the lowest.'),
    filter: jsonataPredicate.optional().describe(`Extra per-group filter. ${FILTER_HELP}`),
  })
  .superRefine((query, ctx) => {
    if (query.limit !== undefined && query.score === undefined)
      ctx.addIssue({ code: 'custom', path: ['limit'], message: 'a top-N limit needs a `score` column' });
  });

export const redisCacheSinkSchema = z
  .strictObject({
    name: sinkName,
    redis: z.union([
      z.strictObject({ url: redisUrl }),
      z.strictObject({ cluster: z.array(redisUrl).min(1, 'at least one cluster node') }),
    ]),
    from: tableName,
    key: keyTemplate.describe(
      'Key template, e.g. `product:{id}`; several columns allowed. `{{`/`}}` are literal braces (hash tags).',
    ),
    ttl: ageDuration
      .refine((ms) => ms > 0, 'more than 0 (leave ttl out for values that never expire)')
      .optional()
      .describe('Expire cached values this long after their last write (PX). Groups never expire.'),
    value: z
      .strictObject({
        format: z
          .enum(['json', 'hash'])
          .default('json')
          .describe(
            'json: GET key returns exactly the JSON document. hash: HGETALL key returns one field per ' +
              'column (strings as-is, numbers/booleans as text, JSON for objects/arrays, null columns omitted).',
          ),
        fields: z
          .union([z.array(column).min(1), z.record(z.string().min(1), column)])
          .optional()
          .describe('Projection: a list of columns, or { outputName: column } to rename. Default: the whole row.'),
      })
      .default({ format: 'json' }),
    filter: jsonataPredicate.optional().describe(FILTER_HELP),
    tombstoneTtl: ageDuration
      .refine((ms) => ms > 0, 'more than 0')
      .default(3_600_000)
      .describe('How long a delete is remembered (so a late, older write cannot bring the key back).'),
    namespace: z
      .string()
      .regex(/^[A-Za-z0-9:_.-]+$/, 'letters, digits and : _ . -')
      .optional()
      .describe('Prefix of the sink bookkeeping keys (per-row state); default `distributary:<name>`.'),
    queries: z
      .array(redisCacheQuerySchema)
      .default([])
      .describe('Query caches: sets or sorted sets per group, maintained on insert, update and delete.'),
    commandTimeout: duration
      .refine((ms) => ms > 0, 'more than 0')
      .default(5_000)
      .describe('A Redis command without a reply after this long counts as "cache unreachable" (retried).'),
  })
  .describe('Redis cache sink: one key per row of `from`, plus optional query caches (groups).');

export type RedisCacheSinkConfig = z.infer<typeof redisCacheSinkSchema>;
export type RedisCacheQueryConfig = z.infer<typeof redisCacheQuerySchema>;
