import type { LogKeys, RedisClient } from '@distributary/changelog';
import type { SlotHealth, SlotProblem } from '@distributary/pg-catalog';

export interface ResyncEpisode {
  state: 'running' | 'done' | 'stopped';
  problem: SlotProblem | 'requested';
  /** PostgreSQL's reason, verbatim. */
  reason: string;
  /** When the loss was detected. */
  lostAt: string;
  /** The old slot's confirmed position: nothing after it was streamed. */
  lostFromLsn?: string;
  /** The new slot's consistent point. */
  resyncLsn?: string;
  /** WAL between the two that could not be streamed. */
  gapBytes?: string;
  phase?: 'new-slot' | 'snapshot' | 'reconcile' | 'streaming';
  rowsDone?: number;
  estimatedTotal?: number;
  /** Keys deleted from every sink because the re-snapshot no longer saw them. */
  deleted?: number;
  deletedByTable?: Record<string, number>;
  finishedAt?: string;
  /** With onSlotLost: stop — what to run. */
  action?: string;
  /**
   * How often this episode's NEW slot was lost again before the re-snapshot ended: the re-read of every
   * table wrote more WAL than max_slot_wal_keep_size keeps (the slot holds WAL from its consistent
   * point until streaming starts). After MAX_RESYNC_SLOT_LOSSES the episode stops instead of looping.
   */
  slotLosses?: number;
}

/**
 * What the connector publishes about its slot, next to its status hash (keys.connectorState()):
 * `slotHealth` (the last SlotHealth), `resync` (the current or last re-sync episode), `throughTs`
 * (every change committed before this time is in the log: from confirmed heartbeats) and
 * `resyncRequested` (set by `distributary resync`). Status, the admin API and the dashboard read them.
 */
export interface SlotHealthState {
  slotHealth?: SlotHealth;
  resync?: ResyncEpisode;
  throughTs?: string;
  resyncRequested?: string;
}

function parse<T>(text: string | undefined): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

export async function readSlotHealthState(redis: RedisClient, keys: LogKeys): Promise<SlotHealthState> {
  const [health, resync, throughTs, requested] = await redis.hmget(
    keys.connectorState(),
    'slotHealth',
    'resync',
    'throughTs',
    'resyncRequested',
  );
  return {
    slotHealth: parse<SlotHealth>(health ?? undefined),
    resync: parse<ResyncEpisode>(resync ?? undefined),
    throughTs: throughTs ?? undefined,
    resyncRequested: requested ?? undefined,
  };
}

export async function writeSlotHealthState(
  redis: RedisClient,
  keys: LogKeys,
  state: Omit<SlotHealthState, 'resyncRequested'>,
): Promise<void> {
  const fields: Record<string, string> = {};
  if (state.slotHealth) fields.slotHealth = JSON.stringify(state.slotHealth);
  if (state.resync) fields.resync = JSON.stringify(state.resync);
  if (state.throughTs) fields.throughTs = state.throughTs;
  if (Object.keys(fields).length) await redis.hset(keys.connectorState(), fields);
}

export async function markResyncRequested(redis: RedisClient, keys: LogKeys): Promise<void> {
  await redis.hset(keys.connectorState(), 'resyncRequested', new Date().toISOString());
}

export async function clearResyncRequested(redis: RedisClient, keys: LogKeys): Promise<void> {
  await redis.hdel(keys.connectorState(), 'resyncRequested');
}
