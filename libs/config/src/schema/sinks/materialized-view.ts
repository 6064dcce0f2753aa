import { z } from 'zod';
import { postgresUrl, sinkName } from '../common';

export const materializedViewSinkSchema = z.strictObject({
  name: sinkName,
  view: z.strictObject({
    postgres: postgresUrl,
    /** Target table 'schema.table', created by the sink. */
    table: z.string().regex(/^([a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*$/, 'a table name like analytics.sales'),
  }),
  sql: z.string().min(1),
});

export type MaterializedViewSinkConfig = z.infer<typeof materializedViewSinkSchema>;
