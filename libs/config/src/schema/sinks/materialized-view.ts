import { z } from 'zod';
import { postgresUrl, sinkName } from '../common';

const identifier = /^[a-z_][a-z0-9_]*$/;

/**
 * A materialized view maintained from the change log. `sql` is validated for shape here and for
 * meaning by the sink's parseViewSql() (the real PostgreSQL parser), which the config loader runs at
 * validation time and which names the unsupported part of a refused query.
 */
export const materializedViewSinkSchema = z.strictObject({
  name: sinkName,
  view: z.strictObject({
    postgres: postgresUrl,
    /** Target table 'schema.table', created by the sink. */
    table: z.string().regex(/^([a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*$/, 'a table name like analytics.sales'),
    /** Schema for the sink's hidden state (mirrored rows, contributions, positions). */
    stateSchema: z.string().regex(identifier, 'a lower-case schema name').default('distributary_views'),
  }),
  sql: z.string().min(1, 'a SELECT ... GROUP BY ... statement'),
  /** Apply whole source transactions only (the view never shows half of one); needs transaction markers. */
  transactional: z.boolean().default(false),
});

export type MaterializedViewSinkConfig = z.infer<typeof materializedViewSinkSchema>;
