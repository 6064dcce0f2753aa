/**
 * Test support for the fidelity suites: what every sink of a fidelity pipeline holds, what it must hold
 * by the type contract (contract-oracle.ts) read from PostgreSQL's own text, and readable differences.
 */
import { request as httpRequest } from 'node:http';
import type { Pool } from 'pg';
import { isCompanionKey, scanKeys } from '@distributary/sink-redis-cache';
import { esUrl } from '@distributary/testkit';
import { expectedDocument, expectedHash, oracleSql, type ColumnSpec } from './contract-oracle';
import type { FidelityPipeline } from './fidelity-pipeline';

export interface SinkState {
  es: Map<string, string>;
  json: Map<string, unknown>;
  hash: Map<string, unknown>;
}

/** Readable differences: missing/extra rows, and where a row's text first differs (with context). */
export function differences(got: Map<string, unknown>, want: Map<string, unknown>): string[] {
  const out: string[] = [];
  for (const id of want.keys()) if (!got.has(id)) out.push(`row ${id}: missing`);
  for (const id of got.keys()) if (!want.has(id)) out.push(`row ${id}: should not be there`);
  for (const [id, value] of want) {
    if (!got.has(id)) continue;
    const a = typeof value === 'string' ? value : JSON.stringify(Object.entries(value as object).sort());
    const raw = got.get(id);
    const b = typeof raw === 'string' ? raw : JSON.stringify(Object.entries(raw as object).sort());
    if (a === b) continue;
    let at = 0;
    while (at < a.length && a[at] === b[at]) at++;
    out.push(
      `row ${id} at ${at}: want …${a.slice(Math.max(0, at - 60), at + 60)}… got …${b.slice(Math.max(0, at - 60), at + 60)}…`,
    );
  }
  return out;
}

/** GET of an Elasticsearch path as text, sent as written (fetch's URL parsing would resolve an id '..'). */
function rawGet(path: string): Promise<string> {
  const url = new URL(esUrl());
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET' }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

async function esDocuments(pipeline: FidelityPipeline): Promise<Map<string, string>> {
  await fetch(`${esUrl()}/${pipeline.alias}/_refresh`, { method: 'POST' });
  const found = (await fetch(`${esUrl()}/${pipeline.alias}/_search?size=1000&_source=false`).then((r) => r.json())) as {
    hits?: { hits: { _id: string }[] };
  };
  const out = new Map<string, string>();
  for (const { _id } of found.hits?.hits ?? [])
    out.set(_id, await rawGet(`/${pipeline.alias}/_source/${encodeURIComponent(_id)}`));
  return out;
}

/** A value's version companion key: the sink's bookkeeping keys hold U+0000 (redis-cache slots.ts). */
const isVersionKey = isCompanionKey;

async function cached(
  pipeline: FidelityPipeline,
  prefix: string,
  read: (key: string) => Promise<unknown>,
): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for (const key of await scanKeys(pipeline.redis, `${prefix}*`))
    if (!isVersionKey(key)) out.set(key.slice(prefix.length), await read(key));
  return out;
}

/** The Elasticsearch _source text, the Redis JSON cache text and the Redis hash of every row, by id. */
export async function sinkState(pipeline: FidelityPipeline): Promise<SinkState> {
  return {
    es: await esDocuments(pipeline),
    json: await cached(pipeline, pipeline.jsonPrefix, (key) => pipeline.redis.get(key)),
    hash: await cached(pipeline, pipeline.hashPrefix, (key) => pipeline.redis.hgetall(key)),
  };
}

/** What each sink must hold by the contract, from PostgreSQL's text of `columns` (the first is `id`). */
export async function contractState(source: Pool, table: string, columns: ColumnSpec[]): Promise<SinkState> {
  const { rows } = await source.query({
    text: `SELECT ${columns.map(oracleSql).join(', ')} FROM ${table} ORDER BY 1`,
    rowMode: 'array',
  });
  const state: SinkState = { es: new Map(), json: new Map(), hash: new Map() };
  for (const row of rows as (string | null)[][]) {
    const id = row[0] as string;
    const document = expectedDocument(columns, row);
    state.es.set(id, document);
    state.json.set(id, document);
    state.hash.set(id, expectedHash(columns, row));
  }
  return state;
}

/** Every difference between two sink states, labelled by sink. */
export function stateDifferences(got: SinkState, want: SinkState): string[] {
  return [
    ...differences(got.es, want.es).map((d) => `Elasticsearch: ${d}`),
    ...differences(got.json, want.json).map((d) => `Redis JSON: ${d}`),
    ...differences(got.hash, want.hash).map((d) => `Redis hash: ${d}`),
  ];
}

/** Every dead-lettered event's sink key and error, shortened. */
export async function deadLetters(pipeline: FidelityPipeline): Promise<string[]> {
  const out: string[] = [];
  for (const key of await scanKeys(pipeline.redis, `{${pipeline.alias}:dlq:*`)) {
    if ((await pipeline.redis.type(key)) !== 'stream') continue;
    for (const [, flat] of await pipeline.redis.xrange(key, '-', '+')) {
      const at = flat.indexOf('error');
      out.push(`${key}: ${(flat[at + 1] ?? '').slice(0, 400)}`);
    }
  }
  return out;
}
