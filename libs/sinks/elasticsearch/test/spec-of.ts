import { elasticsearchSinkSchema } from '@distributary/config';
import { compileDocumentSpec, type DocumentSpec } from '../src/document/document-spec';

/** The compiled spec of a products sink (id `{id}`) with this `document` config (no Elasticsearch is reached). */
export function specOf(document: Record<string, unknown>): DocumentSpec {
  return compileDocumentSpec(
    elasticsearchSinkSchema.parse({
      name: 'doc-test',
      elasticsearch: { url: 'http://127.0.0.1:1', index: 'doc-test' },
      from: 'public.products',
      id: '{id}',
      document,
    }),
  );
}
