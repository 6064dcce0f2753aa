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
  /** What the connector does when its slot is invalidated (wal_status lost), dropped or unusable. */
  onSlotLost: z
    .enum(['resync', 'stop'])
    .default('resync')
    .describe(
      'When the replication slot is lost or dropped: resync = new slot, re-snapshot every table, reconcile every sink (deletes of rows gone in the gap), resume; stop = stay down until `distributary resync`',
    ),
  /** What the connector does when a published table's columns change (ADD/DROP COLUMN, ALTER TYPE). */
  onSchemaChange: z
    .enum(['resync', 'ignore', 'stop'])
    .default('resync')
    .describe(
      "When a published table's columns change: resync = incremental snapshot of that table so old rows get the new shape in every sink; ignore = only rows written later change; stop = the connector stops with a message",
    ),
  /** Per-table override of onSchemaChange. */
  onSchemaChangeByTable: z
    .record(z.string(), z.enum(['resync', 'ignore', 'stop']))
    .default({})
    .describe('Per-table override of onSchemaChange, e.g. { public.audit_log: ignore }'),
  /** Early warning: retained WAL past this fraction of max_slot_wal_keep_size (or of free disk when unlimited). */
  slotWarnAt: z
    .number()
    .gt(0)
    .max(1)
    .default(0.5)
    .describe(
      'Slot early warning: retained WAL past this fraction of max_slot_wal_keep_size (of free disk space when unlimited)',
    ),
  /** Tuning of the connector (WAL → log). */
  connector: z
    .strictObject({
      /** Events appended per pipelined batch; a transaction larger than this streams in several batches. */
      batchSize: z
        .number()
        .int()
        .min(1)
        .max(50_000)
        .default(1000)
        .describe('Events per pipelined log append; big transactions stream in several batches'),
      /** Recently appended rows kept per connector to fill unchanged TOAST values (0 disables). */
      rowCache: z
        .number()
        .int()
        .min(0)
        .max(1_000_000)
        .default(10_000)
        .describe('Recent rows kept to fill unchanged TOAST values (0 disables)'),
      /** How many partition entries to scan backwards for a row's latest logged version. */
      toastScan: z
        .number()
        .int()
        .min(0)
        .max(100_000)
        .default(2000)
        .describe("Partition entries scanned backwards for a row's latest logged version (0 disables)"),
      /** Leadership lease of the slot: TTL and renewal period. */
      leaseTtl: duration.default(5000).describe('Connector leadership lease TTL; a standby takes over after it'),
      leaseRenew: duration.default(1500).describe('How often the leader renews its lease (well below leaseTtl)'),
      /** How often retained WAL and the status hash are refreshed. */
      statusEvery: duration
        .default(5000)
        .describe('How often retained WAL and the connector status hash are refreshed'),
    })
    .refine((c) => c.leaseRenew < c.leaseTtl, {
      path: ['leaseRenew'],
      message: 'leaseRenew less than leaseTtl (the leader must renew before its lease lapses)',
    })
    .prefault({})
    .describe('Tuning of the connector (WAL → change log)'),
  /** Initial and incremental snapshots. */
  snapshot: z
    .strictObject({
      connections: z
        .number()
        .int()
        .min(1)
        .max(32)
        .default(3)
        .describe(
          'Source connections reading the initial snapshot in parallel, all in the exported snapshot of the slot: large tables are split into primary-key ranges (up to 4 per connection), each resumed on its own after a crash',
        ),
      chunkSize: z
        .number()
        .int()
        .min(1)
        .max(100_000)
        .default(2000)
        .describe('Rows per primary-key chunk (keyset paging); progress is persisted after each chunk'),
      bytesInFlight: z
        .number()
        .int()
        .min(65_536)
        .max(1_073_741_824)
        .default(16_777_216)
        .describe(
          'Bytes (server text) of initial-snapshot chunks read and not yet in the log before the readers wait: bounds the memory of the connector whatever the parallelism',
        ),
    })
    .prefault({})
    .describe('Initial snapshot tuning (incremental snapshots set their chunk size per request)'),
});

export type SourceConfig = z.infer<typeof sourceSchema>;
