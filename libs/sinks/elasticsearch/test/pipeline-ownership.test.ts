import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { createElasticsearchSink, type ElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { esUrl, pgUrl, uniqueName } from '@distributary/testkit';
import { allDocs, batchOf, dropIndices, EventFactory, sinkConfig } from './helpers';

/**
 * Pipelines share an Elasticsearch cluster safely: each index carries its owner (pipeline and sink) in
 * its mapping `_meta`; a sink of another pipeline (or another sink) aimed at that alias refuses to
 * open instead of moving the alias to its own index (the issue: the second sink re-aliased silently).
 */
const client = new Client({ node: esUrl() });
const prefix = uniqueName('h18_owner');
const sinks: ElasticsearchSink[] = [];

async function openSink(alias: string, pipeline?: string, name = 'products'): Promise<ElasticsearchSink> {
  const sink = createElasticsearchSink(
    sinkConfig({
      name,
      elasticsearch: { url: esUrl(), index: alias, settings: { number_of_replicas: 0 } },
      from: 'public.products',
      id: '{id}',
      document: { name: 'name' },
    }),
    { source: new PgSourceRows(pgUrl()), ...(pipeline ? { pipeline } : {}) },
  );
  sinks.push(sink);
  await sink.open();
  return sink;
}

afterAll(async () => {
  for (const sink of sinks) await sink.close().catch(() => undefined);
  await dropIndices(client, prefix);
  await client.close();
});

describe('elasticsearch sink ownership', () => {
  it('two pipelines with the same sink name keep their own indices; a shared alias is refused', async () => {
    const f = new EventFactory('public.products');
    const a = await openSink(`${prefix}_a`, 'pipeline-a');
    const b = await openSink(`${prefix}_b`, 'pipeline-b');
    await a.apply(batchOf([f.next('c', { id: 1 }, { after: { id: 1, name: 'from a' } })]));
    await b.apply(batchOf([f.next('c', { id: 1 }, { after: { id: 1, name: 'from b' } })]));
    const mapping = await client.indices.getMapping({ index: `${prefix}_a` });
    expect(Object.values(mapping)[0].mappings._meta?.distributary).toMatchObject({
      pipeline: 'pipeline-a',
      sink: 'products',
    });

    await expect(openSink(`${prefix}_a`, 'pipeline-b')).rejects.toThrow(
      `sink products (pipeline pipeline-b) refuses to write ${prefix}_a: its index ${prefix}_a_v1 belongs to sink products of pipeline pipeline-a`,
    );
    await expect(openSink(`${prefix}_a`, 'pipeline-a', 'other-sink')).rejects.toThrow(/belongs to sink products/);
    const names = async (index: string) => [...(await allDocs(client, index)).values()].map((d) => d.source.name);
    expect(await names(`${prefix}_a`)).toEqual(['from a']);
    expect(await names(`${prefix}_b`)).toEqual(['from b']);
    const aliases = await client.indices.getAlias({ name: `${prefix}_a` });
    expect(Object.keys(aliases)).toEqual([`${prefix}_a_v1`]);
  });

  it('claims an index made before the pipeline marker for its sink', async () => {
    const alias = `${prefix}_legacy`;
    await client.indices.create({
      index: `${alias}_v1`,
      mappings: { _meta: { distributary: { sink: 'products', state: 'serving' } } },
      aliases: { [alias]: { is_write_index: true } },
    });
    await openSink(alias, 'pipeline-c');
    const mapping = await client.indices.getMapping({ index: `${alias}_v1` });
    expect(Object.values(mapping)[0].mappings._meta?.distributary).toMatchObject({ pipeline: 'pipeline-c' });
  });
});
