/** Slot health, re-sync episode and lag against the source, as the admin API sends them
 *  (mirrors libs/pg-source/src/slot-health: slot-health.ts, health-state.ts, source-lag.ts). */
export interface SlotHealth {
  slot: string;
  state: 'ok' | 'warning' | 'lost' | 'missing';
  reason?: string;
  exists: boolean;
  walStatus?: string | null;
  safeWalSize?: string | null;
  invalidationReason?: string | null;
  conflicting?: boolean | null;
  active: boolean;
  activePid?: number | null;
  retainedWalBytes?: string | null;
  maxSlotWalKeepSize: string;
  warnAt: number;
  warnBytes?: string | null;
}

export interface ResyncEpisode {
  state: 'running' | 'done' | 'stopped';
  problem: string;
  reason: string;
  lostAt: string;
  lostFromLsn?: string;
  resyncLsn?: string;
  gapBytes?: string;
  phase?: string;
  rowsDone?: number;
  estimatedTotal?: number;
  deleted?: number;
  deletedByTable?: Record<string, number>;
  finishedAt?: string;
  action?: string;
}

export interface SourceLag {
  appliedLsn: string;
  sourceLsn: string;
  bytes: string;
  seconds: number | null;
  caughtUp: boolean;
  why?: string;
}
