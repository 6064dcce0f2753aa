import { Client } from '@elastic/elasticsearch';
import type { ElasticsearchSinkConfig } from '@distributary/config';
import type { Row } from '@distributary/core';
import {
  REFS_FIELD,
  buildDocument,
  compileDocumentSpec,
  readRelated,
  type RelatedRows,
} from '@distributary/sink-elasticsearch';
import { scrollSources } from '../oracle/raw-search';
import { snapshotSelect } from '../oracle/snapshot-select';
import type { SnapshotSlot } from '../oracle/source-snapshot';
import type { KeySample } from './sampling';
import { keyedSide, type SinkSides } from './keyed-side';
import { pickKey } from './source-table';

/**
 * Elasticsearch: the expected side is, for every root row of the pass's source snapshot (values
 * rendered by PostgreSQL per the type contract, oracle/), the document the sink's OWN builder makes
 * (compileDocumentSpec + buildDocument, joined rows read with the sink's readRelated from the same
 * snapshot), keyed by the rendered id; the hidden refs field is left out because it is excluded from
 * _source. The actual side is every document behind the alias (scroll API), keyed by _id, valued by
 * _source read losslessly.
 */
export function elasticsearchSides(
  sink: ElasticsearchSinkConfig,
  source: { snapshot: SnapshotSlot },
  sample?: KeySample,
): SinkSides & { client: Client } {
  const spec = compileDocumentSpec(sink);
  const client = new Client({ node: sink.elasticsearch.url, requestTimeout: 30_000 });
  const sourceKeys = new Map<string, Row>();
  const alias = sink.elasticsearch.index;

  async function* expectedPairs(want: (key: string) => boolean, drilling: boolean): AsyncGenerator<[string, unknown]> {
    const snapshot = source.snapshot.get();
    const keys = new Map<string, readonly string[]>();
    for (const table of spec.tables) keys.set(table, (await snapshot.describe(table)).primaryKey);
    const primaryKey = (table: string): readonly string[] => keys.get(table) ?? [];
    const reader = snapshotSelect(snapshot);
    for await (const { rows, info } of snapshot.scan(spec.root)) {
      const roots = rows.filter((row) => spec.id.canRender(row) && want(spec.id.render(row)));
      if (roots.length === 0) continue;
      const related: RelatedRows =
        spec.relations.length > 0 ? await readRelated(spec, reader, roots, primaryKey) : new Map();
      for (const row of roots) {
        const id = spec.id.render(row);
        if (drilling) sourceKeys.set(id, pickKey(row, info.primaryKey));
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
    yield* scrollSources(client, alias);
  }

  return {
    table: spec.root,
    client,
    expected: keyedSide(`source ${spec.root} → documents`, expectedPairs, sample),
    actual: keyedSide(`elasticsearch ${alias}`, () => actualPairs(), sample),
    sourceKeyOf: (key) => sourceKeys.get(key),
    async close() {
      await client.close();
    },
  };
}
