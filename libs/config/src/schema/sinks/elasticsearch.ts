import { z } from 'zod';
import { ageDuration, columnName, duration, httpUrl, keyTemplate, sinkName, tableName } from '../common';

/**
 * The Elasticsearch sink: one document per row of the root table (`from`), written to the alias
 * `elasticsearch.index` (really to `<index>_v<N>` behind it). Example:
 *
 * ```yaml
 * - name: product-search
 *   elasticsearch: { url: ${ES_URL}, index: products, mappings: { properties: { price: { type: scaled_float, scaling_factor: 100 } } } }
 *   from: public.products
 *   id: "{id}"
 *   document:
 *     name: name                                   # field <- column (rename by choosing the key)
 *     price: { expr: "$number(price)" }            # JSONata over the row
 *     category: { from: public.categories, on: { id: category_id }, fields: [name] }
 *     reviews: { children: public.reviews, on: { product_id: id }, fields: [id, stars, body], orderBy: "id desc" }
 * ```
 */

const identifier = columnName(/^[a-z_][a-z0-9_$]*$/, 'a lower-case column name');

const expressionField = z
  .strictObject({
    expr: z.string().min(1).describe('A JSONata expression evaluated over the row (https://jsonata.org)'),
  })
  .describe('A computed field: { expr: "<JSONata over the row>" }');

/** A plain field of a document or of a joined object: a column name, or a JSONata expression. */
export const esPlainField = z.union([
  identifier.describe('The column whose value becomes this field (the key of the entry renames it)'),
  expressionField,
]);

const relatedFields = z
  .union([
    z.array(identifier).min(1).describe('Columns copied under their own names'),
    z.record(z.string().min(1), esPlainField).describe('Field name -> column or { expr }'),
  ])
  .optional()
  .describe('What the joined object holds; every column of the related row when omitted');

const joinOn = z
  .record(identifier, identifier)
  .refine((on) => Object.keys(on).length > 0, 'at least one column pair')
  .describe('{ <related table column>: <root table column> } — the rows match when every pair is equal');

export const esLookupField = z
  .strictObject({
    from: tableName.describe('Many-to-one: the related row becomes an object (null when none matches)'),
    on: joinOn,
    fields: relatedFields,
  })
  .describe('Many-to-one lookup: { from: public.categories, on: { id: category_id }, fields: [name] }');

export const esChildrenField = z
  .strictObject({
    children: tableName.describe('One-to-many: the matching rows become an array of objects'),
    on: joinOn,
    fields: relatedFields,
    orderBy: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .refine(
        (order) =>
          order === undefined ||
          (Array.isArray(order) ? order : [order]).every((o) => /^[a-z_][a-z0-9_$]*( (asc|desc))?$/i.test(o.trim())),
        'column names, each optionally followed by asc or desc',
      )
      .describe('Order of the array: "created_at desc" or ["stars desc", "id"]; by the child key when omitted'),
  })
  .describe('One-to-many children: { children: public.reviews, on: { product_id: id }, fields: [stars, body] }');

export const esDocumentField = z.union([esPlainField, esLookupField, esChildrenField]);

const bulkSchema = z
  .strictObject({
    maxDocs: z.number().int().min(1).default(1000).describe('Documents per bulk request'),
    maxBytes: z
      .number()
      .int()
      .min(1024)
      .default(5 * 1024 * 1024)
      .describe('Bytes per bulk request'),
    linger: duration.default(50).describe('How long a partial request waits for more documents'),
    // 8: one per partition of the default 8, so a partition's batch never waits for another's request to
    // leave a slot (at 2, most of commit → readable was that wait); a backlog still fills requests up to
    // maxDocs (test/bench/bulk-slots-probe.ts: lower latency and no lower throughput than 2 or 4)
    concurrency: z.number().int().min(1).max(16).default(8).describe('Bulk requests in flight'),
    // 1 by default: a second batch in flight hides a remote Elasticsearch's round trip (test/bench/pipeline-probe.ts,
    // DEPTH=2), but on a machine whose cores Elasticsearch shares it measured no better in figure 5 (issue 24)
    batchesInFlight: z
      .number()
      .int()
      .min(1)
      .max(8)
      .default(1)
      .describe(
        "Batches of one partition written at once: above 1, a partition's next batch is sent while the previous one is still being written (per-key order, the order of commits and the exactness of a replay are kept)",
      ),
    // Kept so that existing configurations load; unused since the one retry policy (issue 20): each bulk
    // request is sent once and a failed batch is retried by the worker (libs/worker, PartitionTask).
    attempts: z
      .number()
      .int()
      .min(1)
      .default(6)
      .describe(
        'Unused (accepted for older configs): a bulk request is sent once; 429 / 5xx / connection errors make apply() throw RetryableError and the worker retries the batch with its backoff',
      ),
    backoffBase: duration.default(100).describe('Unused (accepted for older configs): see attempts'),
    backoffCap: duration.default(5000).describe('Unused (accepted for older configs): see attempts'),
    timeout: duration.default(30_000).describe('Per-request timeout'),
  })
  .prefault({});

export const elasticsearchSinkSchema = z.strictObject({
  name: sinkName,
  elasticsearch: z.strictObject({
    url: httpUrl,
    /** The alias searched by applications; the sink writes to <index>_v<N> behind it. */
    index: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'a lower-case index name')
      .max(200, 'an index name of at most 200 characters (Elasticsearch allows 255 bytes with the _v<N> suffix)')
      .describe('The alias searched by applications; the sink writes to <index>_v<N> behind it'),
    mappings: z.record(z.string(), z.unknown()).optional().describe('Index mappings (as in PUT <index>)'),
    settings: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        'Index settings (as in PUT <index>); refresh_interval defaults to 1s (set it, flat, dotted or nested, to choose another)',
      ),
    gcDeletes: ageDuration
      .default(3_600_000)
      .describe('index.gc_deletes: how long a delete tombstone keeps older writes out (default 1h)'),
    retireAfter: duration.default(60_000).describe('Grace period after a rebuild before the previous index is deleted'),
    discoverEvery: duration
      .default(1000)
      .describe('How often a worker looks for an index another worker is rebuilding (it then writes there too)'),
    bulk: bulkSchema,
  }),
  from: tableName.describe('The root table: one document per row'),
  id: keyTemplate.default('{id}').describe('Document id template over root columns, e.g. "{id}" or "{tenant_id}-{id}"'),
  document: z
    .record(z.string().min(1), esDocumentField)
    .optional()
    .describe('Field name -> column | { expr } | lookup | children; every root column when omitted'),
});

export type ElasticsearchSinkConfig = z.infer<typeof elasticsearchSinkSchema>;
export type EsDocumentFieldConfig = z.infer<typeof esDocumentField>;
export type EsPlainFieldConfig = z.infer<typeof esPlainField>;
export type EsLookupFieldConfig = z.infer<typeof esLookupField>;
export type EsChildrenFieldConfig = z.infer<typeof esChildrenField>;
