import type { Client } from '@elastic/elasticsearch';
import { parseLosslessJson, type LosslessValue } from './lossless-json';

/**
 * Every document behind an index or alias, each `_source` read losslessly (numbers kept as written):
 * the Elasticsearch client parses responses with JSON.parse, which would round 12345678901234567890
 * on the way in and hide a store that holds it exactly (or make one that rounds look right).
 */
async function readBody(stream: unknown): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

interface Page {
  scrollId?: string;
  hits: { id: string; source: LosslessValue }[];
}

function page(body: string): Page {
  const parsed = parseLosslessJson(body) as { _scroll_id?: string; hits?: { hits?: Record<string, LosslessValue>[] } };
  return {
    scrollId: parsed._scroll_id,
    hits: (parsed.hits?.hits ?? []).map((hit) => ({ id: String(hit._id ?? ''), source: hit._source ?? null })),
  };
}

export async function* scrollSources(client: Client, index: string): AsyncGenerator<[string, LosslessValue]> {
  let current = page(
    await readBody(
      await client.search({ index, scroll: '1m', size: 1000, query: { match_all: {} } }, { asStream: true }),
    ),
  );
  try {
    while (current.hits.length > 0) {
      for (const hit of current.hits) yield [hit.id, hit.source];
      if (!current.scrollId) break;
      current = page(
        await readBody(await client.scroll({ scroll_id: current.scrollId, scroll: '1m' }, { asStream: true })),
      );
    }
  } finally {
    if (current.scrollId) await client.clearScroll({ scroll_id: current.scrollId }).catch(() => undefined);
  }
}
