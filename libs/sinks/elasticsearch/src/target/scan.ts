import type { Client } from '@elastic/elasticsearch';
import type { QueryDslQueryContainer, SortResults } from '@elastic/elasticsearch/lib/api/types';
import { REFS_FIELD, ROOT_KEY_REF } from '../document/build-document';

/** A document found in the index: its id and, for sinks with joins, the stored root-row reference. */
export interface FoundDocument {
  id: string;
  rootRef?: string;
}

function foundOf(hit: { _id?: string | null; fields?: Record<string, unknown> }, rootField: string): FoundDocument {
  const ref = (hit.fields?.[rootField] as string[] | undefined)?.[0];
  return { id: hit._id ?? '', ...(ref ? { rootRef: ref } : {}) };
}

/**
 * The documents matching `query`, `size` at a time, as of the moment the scan began (scroll API: one
 * search context, any order, every matching document once whatever is written meanwhile; no field
 * needs to be sortable). One page in memory at a time; the context is cleared however the loop ends.
 */
export async function* scrollPages(
  client: Client,
  index: string,
  query: QueryDslQueryContainer,
  size: number,
): AsyncGenerator<FoundDocument[]> {
  const rootField = `${REFS_FIELD}.${ROOT_KEY_REF}`;
  let response = await client.search({
    index,
    scroll: '1m',
    size,
    query,
    _source: false,
    docvalue_fields: [{ field: rootField }],
  });
  try {
    while (response.hits.hits.length > 0) {
      yield response.hits.hits.map((hit) => foundOf(hit, rootField));
      if (!response._scroll_id) return;
      response = await client.scroll({ scroll_id: response._scroll_id, scroll: '1m' });
    }
  } finally {
    if (response._scroll_id) await client.clearScroll({ scroll_id: response._scroll_id }).catch(() => undefined);
  }
}

/**
 * The documents matching `query`, `size` at a time, in the order of their root reference (search_after
 * on the indexed `_distributary_refs.key`: no scroll context to keep alive while a page is processed).
 * Only for sinks with joins (their documents carry the reference); one page in memory at a time.
 */
export async function* scanPages(
  client: Client,
  index: string,
  query: QueryDslQueryContainer,
  size: number,
): AsyncGenerator<FoundDocument[]> {
  const rootField = `${REFS_FIELD}.${ROOT_KEY_REF}`;
  let after: SortResults | undefined;
  for (;;) {
    const response = await client.search({
      index,
      size,
      query,
      _source: false,
      docvalue_fields: [{ field: rootField }],
      sort: [{ [rootField]: { order: 'asc', missing: '_last' } }],
      ...(after ? { search_after: after } : {}),
    });
    const hits = response.hits.hits;
    if (hits.length === 0) return;
    const page: FoundDocument[] = hits.map((hit) => foundOf(hit, rootField));
    yield page;
    // documents without the reference sort last and cannot be paged past: the scan ends with them
    if (hits.length < size || page[page.length - 1].rootRef === undefined) return;
    after = hits[hits.length - 1].sort;
    if (!after) return;
  }
}
