import { Client } from '@elastic/elasticsearch';
import { elasticsearchSinkSchema, type ElasticsearchSinkConfig } from '@distributary/config';
import type { ChangeEvent, Op, Row, SinkBatch } from '@distributary/core';
import { createElasticsearchSink, type ElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { esUrl } from '@distributary/testkit';

/** Builds change events the way the connector will: positions with increasing commit LSNs. */
export class EventFactory {
  private lsn = 1_000n;

  constructor(private readonly table: string) {}

  next(op: Op, key: Row, rows: { after?: Row; before?: Row; table?: string; lsn?: bigint } = {}): ChangeEvent {
    this.lsn += 10n;
    const lsn = rows.lsn ?? this.lsn;
    return {
      pos: { lsn, seq: 0 },
      op,
      table: rows.table ?? this.table,
      key,
      ...(rows.after ? { after: rows.after } : {}),
      ...(rows.before ? { before: rows.before } : {}),
      commitTs: new Date().toISOString(),
    };
  }
}

/** A change event of `public.<table>` at (lsn, 0) keyed by the row's id, with the row as `after`. */
export function rowEvent(
  table: string,
  op: ChangeEvent['op'],
  lsn: bigint,
  row: Record<string, unknown>,
  extra = {},
): ChangeEvent {
  return {
    pos: { lsn, seq: 0 },
    op,
    table: `public.${table}`,
    key: { id: row.id as number },
    after: row as ChangeEvent['after'],
    ...extra,
  };
}

export function batchOf(events: ChangeEvent[], sink = 'test'): SinkBatch {
  const last = events[events.length - 1];
  return { sink, partition: 0, events, lastId: last ? `${last.pos.lsn}-${last.pos.seq}` : '0-0', fencingToken: 1 };
}

export function sinkConfig(input: Record<string, unknown>): ElasticsearchSinkConfig {
  return elasticsearchSinkSchema.parse(input);
}

export interface StoredDoc {
  source: Record<string, unknown>;
  version: number | undefined;
}

/** Every document behind `index` (alias or index), refreshed first, with its version. */
export async function allDocs(client: Client, index: string): Promise<Map<string, StoredDoc>> {
  await client.indices.refresh({ index });
  const response = await client.search({ index, size: 10_000, version: true, query: { match_all: {} } });
  const docs = new Map<string, StoredDoc>();
  for (const hit of response.hits.hits) {
    docs.set(hit._id ?? '', { source: hit._source as Record<string, unknown>, version: hit._version });
  }
  return docs;
}

/** Deletes every index whose name starts with `prefix` (the test's own, uniquely named indices). */
export async function dropIndices(client: Client, prefix: string): Promise<void> {
  const found = await client.indices.get({ index: `${prefix}*`, expand_wildcards: 'all' });
  for (const name of Object.keys(found)) await client.indices.delete({ index: name }).catch(() => undefined);
}

/** An opened sink named `name` of public.products joined with its category's name, into `alias`. */
export async function openProductCategorySink(
  name: string,
  alias: string,
  sourceUrl: string,
): Promise<ElasticsearchSink> {
  const sink = createElasticsearchSink(
    sinkConfig({
      name,
      elasticsearch: { url: esUrl(), index: alias, settings: { number_of_replicas: 0 }, retireAfter: 0 },
      from: 'public.products',
      id: '{id}',
      document: { name: 'name', category: { from: 'public.categories', on: { id: 'category_id' }, fields: ['name'] } },
    }),
    { source: new PgSourceRows(sourceUrl) },
  );
  await sink.open();
  return sink;
}
