import type { Pool } from 'pg';
import { formatLsn, type Lsn } from '@distributary/core';
import type { ChangeLog } from '@distributary/changelog';
import type { Logger } from '@distributary/observability';
import { writeSlotHealthState } from '@distributary/control';
import {
  currentWalLsn,
  readSlotHealth,
  recordSlotState,
  retainedWalBytes,
  slotMetrics,
  type SlotHealth,
} from '@distributary/pg-catalog';
import { connectorMetrics } from './connector-metrics';
import { errorText } from './error-text';
import type { Heartbeats } from './heartbeats';

export interface ConnectorStatusOptions {
  log: ChangeLog;
  slot: string;
  /** source.slotWarnAt: the fraction of retained WAL past which the slot is in 'warning'. */
  warnAt: number;
  instanceId: string;
  heartbeats: Heartbeats;
  logger: Logger;
}

/**
 * What the leader publishes every statusEvery: its connector state (leader, fencing token, confirmed
 * LSN, last heartbeat, retained WAL) and the slot's health with the through-time of confirmed
 * heartbeats (`distributary status`, the admin API), plus the slot and lag metrics.
 */
export class ConnectorStatus {
  private health: SlotHealth | undefined;
  private lastWarned = 0;

  constructor(private readonly options: ConnectorStatusOptions) {}

  /** The slot's health as last read. */
  get slotHealth(): SlotHealth | undefined {
    return this.health;
  }

  /** Publishes once; a failure is logged, never thrown. */
  async publish(pool: Pool, token: number, confirmed: Lsn): Promise<void> {
    const { log, slot, heartbeats } = this.options;
    const { redis, keys } = log;
    try {
      const [retained, current] = await Promise.all([retainedWalBytes(pool, slot), currentWalLsn(pool)]);
      if (retained !== null) connectorMetrics.retainedWalBytes.set({ slot }, retained);
      if (confirmed > 0n) connectorMetrics.lagBytes.set({ slot }, Number(current - confirmed));
      await log.connector.write({
        slot,
        leader: this.options.instanceId,
        fencingToken: String(token),
        confirmedLsn: formatLsn(confirmed),
        lastHeartbeat: heartbeats.lastHeartbeat,
        retainedWalBytes: retained === null ? undefined : String(retained),
      });
      const health = await this.checkSlot(pool);
      await writeSlotHealthState(redis, keys, { slotHealth: health, throughTs: heartbeats.throughTs });
    } catch (error) {
      this.options.logger.warn({ error: errorText(error) }, 'cannot publish connector status');
    }
  }

  /** Reads the slot's health, records it in metrics, and warns (at most once a minute) past the threshold. */
  async checkSlot(pool: Pool): Promise<SlotHealth> {
    const { slot, warnAt } = this.options;
    const health = await readSlotHealth(pool, slot, warnAt);
    recordSlotState(slot, health.state);
    slotMetrics.active.set({ slot }, health.active ? 1 : 0);
    if (health.retainedWalBytes != null) slotMetrics.retainedBytes.set({ slot }, Number(health.retainedWalBytes));
    slotMetrics.safeWalSizeBytes.set({ slot }, health.safeWalSize != null ? Number(health.safeWalSize) : -1);
    slotMetrics.maxKeepBytes.set({ slot }, Number(health.maxSlotWalKeepSize));
    slotMetrics.warnBytes.set({ slot }, health.warnBytes != null ? Number(health.warnBytes) : -1);
    if (health.state === 'warning' && Date.now() - this.lastWarned > 60_000) {
      this.lastWarned = Date.now();
      this.options.logger.warn(
        { walStatus: health.walStatus, retained: health.retainedWalBytes },
        health.reason ?? 'slot warning',
      );
    }
    this.health = health;
    return health;
  }
}
