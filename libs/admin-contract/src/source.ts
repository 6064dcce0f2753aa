import { z } from 'zod';

/** Numbers that can exceed 2^53 (LSNs, WAL bytes) travel as decimal strings. */
const bytes = z.string();

/** The replication slot's health as libs/postgres/catalog judges it (slot-health.ts): wal_status, safe_wal_size,
 *  invalidation, max_slot_wal_keep_size and the state. */
export const slotHealthSchema = z.object({
  slot: z.string(),
  state: z.enum(['ok', 'warning', 'lost', 'missing']),
  reason: z.string().optional(),
  exists: z.boolean(),
  walStatus: z.string().nullable().optional(),
  safeWalSize: bytes.nullable().optional(),
  invalidationReason: z.string().nullable().optional(),
  conflicting: z.boolean().nullable().optional(),
  active: z.boolean(),
  activePid: z.number().nullable().optional(),
  retainedWalBytes: bytes.nullable().optional(),
  maxSlotWalKeepSize: bytes.describe('bytes; -1 = unlimited'),
  warnAt: z.number(),
  warnBytes: bytes.nullable().optional(),
});

/** The current or last re-sync after a lost slot (libs/control slot-health-state.ts). */
export const resyncEpisodeSchema = z.object({
  state: z.enum(['running', 'done', 'stopped']),
  problem: z.string(),
  reason: z.string(),
  lostAt: z.string(),
  lostFromLsn: z.string().optional(),
  resyncLsn: z.string().optional(),
  gapBytes: bytes.optional(),
  phase: z.string().optional(),
  rowsDone: z.number().optional(),
  estimatedTotal: z.number().optional(),
  deleted: z.number().optional(),
  deletedByTable: z.record(z.string(), z.number()).optional(),
  finishedAt: z.string().optional(),
  action: z.string().optional(),
});

export const connectorStatusSchema = z.object({
  leader: z.string().nullable().describe('owner of the connector lease (the active instance); null when none'),
  leaseTtlMs: z.number().nullable(),
  fencingToken: z.string().nullable(),
  state: z.record(z.string(), z.string()).describe("the connector's status hash, secrets redacted"),
});

export const sourceStatusSchema = z.object({
  slot: z.string(),
  database: z.string().nullable(),
  exists: z.boolean(),
  active: z.boolean(),
  activePid: z.number().nullable(),
  plugin: z.string().nullable(),
  confirmedLsn: z.string().nullable().meta({ example: '0/16B3748' }),
  restartLsn: z.string().nullable(),
  currentLsn: z.string(),
  retainedWalBytes: bytes.nullable().describe('current LSN − restart LSN, decimal string'),
  confirmedLagBytes: bytes.nullable().describe('current LSN − confirmed LSN, decimal string'),
  connector: connectorStatusSchema,
  health: slotHealthSchema.optional(),
  resync: resyncEpisodeSchema.optional(),
  throughTs: z.string().optional().describe('every change committed before this time is in the log'),
});

export type SlotHealth = z.infer<typeof slotHealthSchema>;
export type ResyncEpisode = z.infer<typeof resyncEpisodeSchema>;
export type ConnectorStatus = z.infer<typeof connectorStatusSchema>;
export type SourceStatus = z.infer<typeof sourceStatusSchema>;
