import { z } from 'zod';
import { httpUrl, sinkName, tableName } from '../common';

/** A document field: a column name, or a JSONata expression over the row. Refined by the ES sink. */
export const elasticsearchSinkSchema = z.strictObject({
  name: sinkName,
  elasticsearch: z.strictObject({
    url: httpUrl,
    /** The alias searched by applications; the sink writes to <index>_v<N> behind it. */
    index: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a lower-case index name'),
    mappings: z.record(z.string(), z.unknown()).optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
  }),
  from: tableName,
  id: z.string().default('{id}'),
  document: z.record(z.string(), z.unknown()).optional(),
});

export type ElasticsearchSinkConfig = z.infer<typeof elasticsearchSinkSchema>;
