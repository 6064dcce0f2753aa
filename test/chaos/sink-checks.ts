/**
 * After the drain: every sink against the source, through libs/verify's bucketed comparison.
 * - Elasticsearch: every document of the alias vs to_jsonb(row) of public.accounts (minus the
 *   sink's own bookkeeping field);
 * - Redis cache: every `<prefix>note:<id>` value vs public.notes;
 * - the view table vs the view SQL run on the source (values compared as text);
 * - with poison on, the orders-by-status view likewise (keyed by status);
 * - with `--joined`, the orders index (a lookup of the account's name) and the accounts index with their
 *   notes (children) vs the same joins run on the source.
 */
import { Client } from 'pg';
import { connectRedis } from '@distributary/changelog';
import { REFS_FIELD } from '@distributary/sink-elasticsearch';
import { compareSides, type ComparisonReport, type KeyedSide } from '@distributary/verify';
import { STATUS_VIEW_SQL } from './poison';
import { CHAOS_VIEW_SQL } from './workload';

export interface SinkCheck {
  sink: string;
  report: ComparisonReport;
}

function sideOf(describe: string, entries: Map<string, unknown>): KeyedSide {
  return {
    describe,
    async *scan(filter) {
      for (const entry of entries) if (!filter || filter(entry[0])) yield entry;
    },
  };
}

async function query<T extends Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined); // a PostgreSQL crash-restart meanwhile: the query in flight fails
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Rows of `sql` (columns id and row) by id. */
async function keyedRows(url: string, sql: string): Promise<Map<string, unknown>> {
  const rows = await query<{ id: number; row: Record<string, unknown> }>(url, sql);
  return new Map(rows.map((r) => [String(r.id), r.row]));
}

function sourceRows(url: string, table: string): Promise<Map<string, unknown>> {
  return keyedRows(url, `SELECT id, to_jsonb(t) AS row FROM ${table} t`);
}

async function esDocuments(esUrl: string, index: string): Promise<Map<string, unknown>> {
  await fetch(`${esUrl}/${index}/_refresh`, { method: 'POST' });
  const docs = new Map<string, unknown>();
  let after: unknown[] | undefined;
  for (;;) {
    const response = await fetch(`${esUrl}/${index}/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ size: 1000, sort: [{ id: 'asc' }], ...(after ? { search_after: after } : {}) }),
    });
    const body = (await response.json()) as {
      hits?: { hits: { _id: string; _source: Record<string, unknown>; sort: unknown[] }[] };
    };
    if (!body.hits) throw new Error(`searching ${index}: ${JSON.stringify(body).slice(0, 500)}`);
    for (const hit of body.hits.hits) {
      const { [REFS_FIELD]: _refs, ...source } = hit._source;
      docs.set(hit._id, source);
    }
    if (body.hits.hits.length < 1000) return docs;
    after = body.hits.hits[body.hits.hits.length - 1].sort;
  }
}

/** Each order as the joined sink's document (ORDERS_DOCUMENT): the account's name, or null without one. */
const JOINED_ORDERS_SQL = `SELECT o.id, jsonb_build_object('id', o.id, 'account_id', o.account_id, 'amount', o.amount,
         'status', o.status, 'account', CASE WHEN a.id IS NULL THEN NULL ELSE jsonb_build_object('name', a.name) END) AS row
    FROM public.orders o LEFT JOIN public.accounts a ON a.id = o.account_id`;

/** Each account as the children sink's document (ACCOUNTS_NOTES_DOCUMENT): its notes by id, [] without any. */
const ACCOUNTS_NOTES_SQL = `SELECT a.id, jsonb_build_object('id', a.id, 'name', a.name, 'notes',
         coalesce((SELECT jsonb_agg(jsonb_build_object('id', n.id, 'body', n.body) ORDER BY n.id)
                     FROM public.notes n WHERE n.account_id = a.id), '[]'::jsonb)) AS row
    FROM public.accounts a`;

async function cacheValues(redisUrl: string, prefix: string): Promise<Map<string, unknown>> {
  const redis = connectRedis({ url: redisUrl });
  const values = new Map<string, unknown>();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const value = await redis.get(key);
        if (value !== null) values.set(key.slice(prefix.length), JSON.parse(value) as unknown);
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return values;
}

function asText(row: Record<string, unknown>): Record<string, string | null> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)]));
}

async function viewRows(url: string, sql: string, key = 'account_id'): Promise<Map<string, unknown>> {
  const rows = await query<Record<string, unknown>>(url, sql);
  return new Map(rows.map((row) => [String(row[key]), asText(row)]));
}

export interface ChaosTargets {
  sourceUrl: string;
  esUrl: string;
  esIndex: string;
  cacheRedisUrl: string;
  cachePrefix: string;
  /** The database holding the view tables, when not the source's (a second cluster). */
  viewUrl?: string;
  viewTable: string;
  /** The orders-by-status view (present when the run has poison rows). */
  statusViewTable?: string;
  /** The joined orders index (present with `--joined`). */
  joinedIndex?: string;
  /** The accounts index with their notes as children (present with `--joined`). */
  childrenIndex?: string;
  /** Prefixes each check's name (which pipeline). */
  label?: string;
}

export async function checkSinks(targets: ChaosTargets): Promise<SinkCheck[]> {
  const label = targets.label ? `${targets.label} ` : '';
  const viewUrl = targets.viewUrl ?? targets.sourceUrl;
  const checks: SinkCheck[] = [
    {
      sink: 'elasticsearch accounts',
      report: await compareSides(
        sideOf('public.accounts', await sourceRows(targets.sourceUrl, 'public.accounts')),
        sideOf(targets.esIndex, await esDocuments(targets.esUrl, targets.esIndex)),
      ),
    },
    {
      sink: 'redis cache notes',
      report: await compareSides(
        sideOf('public.notes', await sourceRows(targets.sourceUrl, 'public.notes')),
        sideOf(targets.cachePrefix, await cacheValues(targets.cacheRedisUrl, targets.cachePrefix)),
      ),
    },
    {
      sink: 'view orders by account',
      report: await compareSides(
        sideOf('view SQL on the source', await viewRows(targets.sourceUrl, CHAOS_VIEW_SQL)),
        sideOf(targets.viewTable, await viewRows(viewUrl, `SELECT * FROM ${targets.viewTable}`)),
      ),
    },
  ];
  if (targets.statusViewTable)
    checks.push({
      sink: 'view orders by status',
      report: await compareSides(
        sideOf('status view SQL on the source', await viewRows(targets.sourceUrl, STATUS_VIEW_SQL, 'status')),
        sideOf(targets.statusViewTable, await viewRows(viewUrl, `SELECT * FROM ${targets.statusViewTable}`, 'status')),
      ),
    });
  const joined: [string | undefined, string, string, string][] = [
    [
      targets.joinedIndex,
      'elasticsearch orders joined with accounts',
      'public.orders ⋈ public.accounts',
      JOINED_ORDERS_SQL,
    ],
    [
      targets.childrenIndex,
      'elasticsearch accounts with their notes',
      'public.accounts with public.notes',
      ACCOUNTS_NOTES_SQL,
    ],
  ];
  for (const [index, sink, describe, sql] of joined)
    if (index)
      checks.push({
        sink,
        report: await compareSides(
          sideOf(describe, await keyedRows(targets.sourceUrl, sql)),
          sideOf(index, await esDocuments(targets.esUrl, index)),
        ),
      });
  return checks.map((check) => ({ ...check, sink: `${label}${check.sink}` }));
}
