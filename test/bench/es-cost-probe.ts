/**
 * `npx tsx test/bench/es-cost-probe.ts [docs] [rounds] [variants]` (variants: names separated by
 * commas, default all): where Elasticsearch's CPU per document goes when the ES sink writes the
 * joined documents, compared with the raw loader of benchmark 2. The same
 * documents are loaded with `_bulk` (batches of 1,000, two in flight) in variants, alternating, each
 * into a fresh index (1 shard, 0 replicas), and the Elasticsearch process's CPU time is divided by the
 * documents:
 *   raw       the raw loader (benchmark 2): no version, no refs field;
 *   versioned + version_type external_gte (the sink's versioned write);
 *   refs      + the sink's hidden refs field (two keywords), excluded from _source;
 *   sink      both: what the sink sends (same header and document as opBody);
 *   refs-kept the refs field kept in _source (no excludes), versioned;
 *   sink-nodv what the sink sends, with the relation refs (searched, never sorted or read) indexed
 *             without doc values; the root key ref keeps them (fan-out pages sort and read it).
 *   rootref   what the sink sends with only the root key ref (no relation refs): which part costs.
 * The Elasticsearch server is shared with whatever else runs: compare variants of the same round.
 */
import { esUrl, pgUrl, uniqueName, withClient } from '@distributary/testkit';
import { indexingOps, joinedDocsSql } from './joined-table';
import { serviceCpu } from './service-cpu';

const BATCH = 1000;
const CONCURRENCY = 2;
const REFS = '_distributary_refs';

interface Variant {
  name: string;
  versioned: boolean;
  refs: boolean;
  exclude: boolean;
  /** The relation refs without doc values (only the root key ref has them). */
  relationDocValues?: false;
  /** Only the root key ref (no relation refs). */
  rootOnly?: true;
}

const VARIANTS: Variant[] = [
  { name: 'raw', versioned: false, refs: false, exclude: false },
  { name: 'versioned', versioned: true, refs: false, exclude: false },
  { name: 'refs', versioned: false, refs: true, exclude: true },
  { name: 'sink', versioned: true, refs: true, exclude: true },
  { name: 'refs-kept', versioned: true, refs: true, exclude: false },
  { name: 'sink-nodv', versioned: true, refs: true, exclude: true, relationDocValues: false },
  { name: 'rootref', versioned: true, refs: true, exclude: true, rootOnly: true },
];

/** Elasticsearch's CPU (its process, shared) and its own indexing time (this index), µs per document. */
interface Cost {
  cpu: number;
  indexing: number;
}

async function load(es: string, variant: Variant, docs: { id: number; doc: string }[]): Promise<Cost> {
  const index = uniqueName(`probe-${variant.name}`).replace(/_/g, '-');
  const mappings = variant.refs
    ? {
        ...(variant.exclude ? { _source: { excludes: [REFS] } } : {}),
        properties: {
          [REFS]: {
            type: 'object',
            properties: {
              key: { type: 'keyword' },
              ...(variant.rootOnly
                ? {}
                : {
                    category: {
                      type: 'keyword',
                      ...(variant.relationDocValues === false ? { doc_values: false } : {}),
                    },
                  }),
            },
          },
        },
      }
    : {};
  await fetch(`${es}/${index}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings }),
  });
  const bodies: string[] = [];
  for (let i = 0; i < docs.length; i += BATCH) {
    let body = '';
    for (const d of docs.slice(i, i + BATCH)) {
      const version = variant.versioned ? `,"version":${1_000_000 + d.id},"version_type":"external_gte"` : '';
      const source = variant.refs
        ? `${d.doc.slice(0, -1)},"${REFS}":{"key":"public.products:[\\"${d.id}\\"]"${variant.rootOnly ? '' : `,"category":["public.categories:[\\"${(d.id % 50) + 1}\\"]"]`}}}`
        : d.doc;
      body += `{"index":{"_index":"${index}","_id":"${d.id}"${version}}}\n${source}\n`;
    }
    bodies.push(body);
  }
  const redisPort = '0';
  const before = serviceCpu(redisPort).elasticsearch;
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let b = next++; b < bodies.length; b = next++) {
        const response = await fetch(`${es}/_bulk?filter_path=errors`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body: bodies[b],
        });
        const result = (await response.json()) as { errors: boolean };
        if (result.errors) throw new Error(`${variant.name}: bulk items failed`);
      }
    }),
  );
  const micros = serviceCpu(redisPort).elasticsearch - before;
  const ops = await indexingOps(es, index);
  await fetch(`${es}/${index}`, { method: 'DELETE' });
  return { cpu: micros / docs.length, indexing: (ops.indexMillis * 1000) / docs.length };
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 30_000);
  const rounds = Number(process.argv[3] ?? 3);
  const only = process.argv[4]?.split(',');
  const variants = only ? VARIANTS.filter((v) => only.includes(v.name)) : VARIANTS;
  const docs = await withClient(
    pgUrl(),
    async (client) => (await client.query<{ id: number; doc: string }>(joinedDocsSql(1, count))).rows,
  );
  const results = new Map<string, Cost[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const variant of round % 2 ? [...variants].reverse() : variants) {
      results.get(variant.name)?.push(await load(esUrl(), variant, docs));
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  // others' requests to the shared server only add: the minimum is the least disturbed round
  const show = (xs: number[]): string =>
    `median ${median(xs).toFixed(1)}, min ${Math.min(...xs).toFixed(1)} (${xs.map((x) => x.toFixed(1)).join(', ')})`;
  for (const [name, costs] of results) {
    process.stdout.write(
      `${name.padEnd(10)} ES CPU µs/doc ${show(costs.map((c) => c.cpu))}; ES indexing µs/doc ${show(costs.map((c) => c.indexing))}\n`,
    );
  }
}

void main();
