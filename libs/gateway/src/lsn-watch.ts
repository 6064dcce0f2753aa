/**
 * "Has the gateway passed source LSN L?" (read your writes, `?after=`). The connector confirms an
 * LSN to PostgreSQL only once every change up to it is durably in the log, so when the slot's
 * `confirmed_flush_lsn` reaches L, every entry of a transaction committed at or before L is in the
 * log; the gateway has passed L once its released vector reaches each partition's last entry as
 * read after that. One poll (every POLL_MS, only while someone waits) serves every waiter. The slot
 * name comes from the connector's status hash.
 */
import type { Pool } from 'pg';
import { compareIds, parseLsn, START_ID } from '@distributary/core';
import type { ChangeLog } from '@distributary/changelog';
import type { PositionVector } from './positions';

const POLL_MS = 50;

interface Waiter {
  lsn: bigint;
  /** Set once the slot has confirmed the LSN: the log's ends then. */
  target: PositionVector | undefined;
  abandoned: () => boolean;
  /** The vector that must reach the log's ends (the released one, or the tail's read one). */
  position: () => PositionVector;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class LsnWatch {
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private slot: string | undefined;
  private stopped = false;

  constructor(
    private readonly pool: Pool,
    private readonly log: ChangeLog,
    private readonly released: () => PositionVector,
    slot?: string,
  ) {
    this.slot = slot;
  }

  /** Resolves once `position` (default: the released vector) has reached the log's ends as read after the slot confirmed `lsn`. */
  passed(lsn: bigint, abandoned: () => boolean, position: () => PositionVector = this.released): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.add({ lsn, target: undefined, abandoned, position, resolve, reject });
      this.schedule(0);
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const waiter of this.waiters) waiter.resolve();
    this.waiters.clear();
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined || this.stopped || this.waiters.size === 0) return;
    this.timer = setTimeout(() => {
      this.poll()
        .catch((error: unknown) => {
          for (const waiter of this.waiters) waiter.reject(error);
          this.waiters.clear();
        })
        .finally(() => {
          this.timer = undefined;
          this.schedule(POLL_MS);
        });
    }, ms);
  }

  private async poll(): Promise<void> {
    for (const waiter of this.waiters) {
      if (!waiter.abandoned()) continue;
      waiter.resolve();
      this.waiters.delete(waiter);
    }
    const waiting = [...this.waiters].filter((w) => w.target === undefined);
    if (waiting.length > 0) {
      const confirmed = await this.confirmed();
      const reached = waiting.filter((w) => confirmed !== undefined && w.lsn <= confirmed);
      if (reached.length > 0) {
        const ends = await this.logEnds();
        for (const waiter of reached) waiter.target = ends;
      }
    }
    for (const waiter of this.waiters) {
      const target = waiter.target;
      if (!target) continue;
      const position = waiter.position();
      if (!target.every((id, p) => compareIds(position[p], id) >= 0)) continue;
      waiter.resolve();
      this.waiters.delete(waiter);
    }
  }

  private async confirmed(): Promise<bigint | undefined> {
    this.slot ??= (await this.log.connector.read()).slot || undefined;
    if (!this.slot) return undefined;
    const result = await this.pool.query<{ lsn: string | null }>(
      'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1',
      [this.slot],
    );
    const text = result.rows[0]?.lsn;
    return text ? parseLsn(text) : undefined;
  }

  private async logEnds(): Promise<PositionVector> {
    return Promise.all(
      Array.from(
        { length: this.log.partitions },
        async (_, p) =>
          (await this.log.redis.xrevrange(this.log.keys.partition(p), '+', '-', 'COUNT', 1))[0]?.[0] ?? START_ID,
      ),
    );
  }
}
