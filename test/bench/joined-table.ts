/**
 * The joined benchmark workload, what users run: public.products(id, category_id, title, body),
 * ~300 B a row, each joined with its category (50 categories; the document has `category.name`).
 * The raw `_bulk` ceiling loads the very same documents, built by one SQL join.
 */
import { elasticsearchSinkSchema } from '@distributary/config';
import { esUrl } from '@distributary/testkit';
import { Client } from 'pg';

export const PRODUCTS = 'public.products';
export const CATEGORIES = 'public.categories';
export const CATEGORY_COUNT = 50;
export const JOINED_TABLES = [CATEGORIES, PRODUCTS];

export const createJoinedSql = `
CREATE TABLE public.categories (id integer PRIMARY KEY, name text NOT NULL);
INSERT INTO public.categories SELECT c, 'category ' || c FROM generate_series(1, ${CATEGORY_COUNT}) c;
CREATE TABLE public.products (
  id integer PRIMARY KEY,
  category_id integer NOT NULL REFERENCES public.categories,
  title text NOT NULL,
  body text NOT NULL
)`;

/** The SELECT producing products [from, to]. */
export function productRowsSql(from: number, to: number): string {
  return `SELECT g AS id, 1 + g % ${CATEGORY_COUNT} AS category_id, 'title ' || g AS title,
    rpad(md5(g::text), 240, md5((g * 7)::text)) AS body
  FROM generate_series(${from}, ${to}) AS g`;
}

/** The documents the sink builds for products [from, to] as JSON text (the raw loader's input; the
 *  category name is computed as createJoinedSql fills it, so no table is needed). */
export function joinedDocsSql(from: number, to: number): string {
  return `SELECT p.id, json_build_object('category_id', p.category_id, 'title', p.title, 'body', p.body,
      'category', json_build_object('name', 'category ' || p.category_id))::text AS doc
    FROM (${productRowsSql(from, to)}) p ORDER BY p.id`;
}

/** The bulk settings the joined sink runs with (it sets none: the ES sink's defaults), for the setup column. */
export function joinedSinkBulk(): { bulkDocs: number; bulkConcurrency: number; batchesInFlight: number } {
  const bulk = elasticsearchSinkSchema.shape.elasticsearch.shape.bulk.parse(undefined);
  return { bulkDocs: bulk.maxDocs, bulkConcurrency: bulk.concurrency, batchesInFlight: bulk.batchesInFlight };
}

/** The Elasticsearch sink of the joined workload (ES behind `url`, e.g. a latency proxy). */
export function joinedEsSink(name: string, index: string, url = esUrl()): Record<string, unknown> {
  return {
    name,
    elasticsearch: { url, index, settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '1s' } },
    from: PRODUCTS,
    id: '{id}',
    document: {
      category_id: 'category_id',
      title: 'title',
      body: 'body',
      category: { from: CATEGORIES, on: { id: 'category_id' }, fields: ['name'] },
    },
  };
}

/** Inserts `transactions` × `rowsPerTransaction` products. */
export async function fillProducts(url: string, transactions: number, rowsPerTransaction: number): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (let t = 0; t < transactions; t++) {
      const from = 1 + t * rowsPerTransaction;
      await client.query(`INSERT INTO public.products ${productRowsSql(from, from + rowsPerTransaction - 1)}`);
    }
    return transactions * rowsPerTransaction;
  } finally {
    await client.end();
  }
}

/**
 * Index operations Elasticsearch performed on `index` (primaries), to count writes per document; and
 * the bulk shard requests that carried them and the time Elasticsearch spent indexing (its own clock,
 * summed over the index's operations: inflated by a busy machine, but not by other indices' work).
 */
export async function indexingOps(
  es: string,
  index: string,
): Promise<{ indexed: number; failed: number; bulkRequests: number; indexMillis: number }> {
  const response = await fetch(`${es}/${index}/_stats/indexing,bulk`);
  const body = (await response.json()) as {
    _all?: {
      primaries?: {
        indexing?: { index_total?: number; index_failed?: number; index_time_in_millis?: number };
        bulk?: { total_operations?: number };
      };
    };
  };
  const { indexing, bulk } = body._all?.primaries ?? {};
  return {
    indexed: indexing?.index_total ?? 0,
    failed: indexing?.index_failed ?? 0,
    bulkRequests: bulk?.total_operations ?? 0,
    indexMillis: indexing?.index_time_in_millis ?? 0,
  };
}

/** Figures of the index's bulk requests: documents per request and ES indexing time per document. */
export function bulkFigures(
  ops: { indexed: number; bulkRequests: number; indexMillis: number },
  docs: number,
): { label: string; value: number; unit: string }[] {
  if (ops.bulkRequests === 0 || docs === 0) return [];
  return [
    { label: 'index operations per bulk request', value: Math.round(ops.indexed / ops.bulkRequests), unit: 'ops' },
    {
      label: 'ES indexing time per document (its own clock)',
      value: Math.round((ops.indexMillis * 1000) / docs),
      unit: 'µs/doc',
    },
  ];
}
