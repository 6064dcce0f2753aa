import { Client } from '@elastic/elasticsearch';
import type { Pool } from 'pg';
import type { ElasticsearchSinkConfig } from '@distributary/config';
import type { Row } from '@distributary/core';
import type { TypeResolver } from '@distributary/pg-source';
import {
  REFS_FIELD,
  SourceReader,
  buildDocument,
  compileDocumentSpec,
  readRelated,
  type RelatedRows,
} from '@distributary/sink-elasticsearch';
import type { KeySample } from './sampling';
import { keyedSide, type SinkSides } from './keyed-side';
import { pickKey, scanSourceTable } from './source-table';

/**
 * Elasticsearch: the expected side is, for every root row, the document the sink's OWN builder makes
 * (compileDocumentSpec + buildDocument, joined rows read with the sink's readRelated), keyed by the
 * rendered id; the hidden refs field is left out because it is excluded from _source. The actual side
 * is every document behind the alias (scroll API, core Elasticsearch), keyed by _id, valued by _source.
 */
export function elasticsearchSides(
  sink: ElasticsearchSinkConfig,
  source: { pool: Pool; types: TypeResolver; url: string },
  sample?: KeySample,
): SinkSides & { client: Client } {
  const spec = compileDocumentSpec(sink);
  const client = new Client({ node: sink.elasticsearch.url, requestTimeout: 30_000 });
  const reader = spec.relations.length > 0 ? new SourceReader(source.url) : undefined;
  const sourceKeys = new Map<string, Row>();
  const alias = sink.elasticsearch.index;

  async function* expectedPairs(want: (key: string) => boolean, drilling: boolean): AsyncGenerator<[string, unknown]> {
    if (reader) for (const table of spec.tables) await reader.tableInfo(table);
    const primaryKey = (table: string): readonly string[] => reader?.cachedInfo(table).primaryKey ?? [];
    for await (const { rows, keyColumns } of scanSourceTable(source.pool, source.types, spec.root)) {
      const roots = rows.filter((row) => spec.id.canRender(row) && want(spec.id.render(row)));
      if (roots.length === 0) continue;
      const related: RelatedRows = reader
        ? await reader.snapshot((snapshot) => readRelated(spec, snapshot, roots, primaryKey))
        : new Map();
      for (const row of roots) {
        const id = spec.id.render(row);
        if (drilling) sourceKeys.set(id, pickKey(row, keyColumns));
        const document = await buildDocument(spec, row, related, { primaryKey });
        delete document[REFS_FIELD];
        yield [id, document];
      }
    }
  }

  async function* actualPairs(): AsyncGenerator<[string, unknown]> {
    const exists = await client.indices.exists({ index: alias });
    if (!exists) return;
    // Applied writes are durable but only searchable after a refresh: make them all visible first.
    await client.indices.refresh({ index: alias });
    let response = await client.search({ index: alias, scroll: '1m', size: 1000, query: { match_all: {} } });
    try {
      while (response.hits.hits.length > 0) {
        for (const hit of response.hits.hits) yield [hit._id ?? '', hit._source ?? null];
        if (!response._scroll_id) break;
        response = await client.scroll({ scroll_id: response._scroll_id, scroll: '1m' });
      }
    } finally {
      if (response._scroll_id) await client.clearScroll({ scroll_id: response._scroll_id }).catch(() => undefined);
    }
  }

  return {
    table: spec.root,
    client,
    expected: keyedSide(`source ${spec.root} → documents`, expectedPairs, sample),
    actual: keyedSide(`elasticsearch ${alias}`, () => actualPairs(), sample),
    sourceKeyOf: (key) => sourceKeys.get(key),
    async close() {
      await reader?.close();
      await client.close();
    },
  };
}
