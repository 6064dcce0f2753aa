import { z } from 'zod';
import { duration, postgresUrl, tableName } from './common';

export const sourceSchema = z.strictObject({
  postgres: z.strictObject({
    url: postgresUrl,
    slot: z
      .string()
      .regex(/^[a-z0-9_]+$/, 'lower-case letters, digits and underscores')
      .default('distributary'),
    publication: z
      .string()
      .regex(/^[a-z0-9_]+$/, 'lower-case letters, digits and underscores')
      .default('distributary'),
    /** What to do on first start: read every table in the slot's exported snapshot, or stream only. */
    snapshot: z.enum(['initial', 'never']).default('initial'),
    /** How often to advance the slot while published tables are quiet. */
    heartbeat: duration.default(10_000),
  }),
  tables: z.array(tableName).min(1, 'at least one table'),
});

export type SourceConfig = z.infer<typeof sourceSchema>;
