import { Cluster } from 'ioredis';
import type { Lsn } from '@distributary/core';
import type { RedisClient } from './redis-connection';

/**
 * THE DURABILITY RULE: an LSN is confirmed to PostgreSQL only after every event up to it is durable
 * in the log. With `appendfsync always` a pipelined XADD reply means the entries are on disk, so a
 * confirmation may follow the reply at once. With `everysec` (or when Redis will not tell us, as
 * managed Redis and some clusters refuse CONFIG) the data may sit up to ~1 s in the OS buffer, so
 * every confirmation is held back by `holdBackMs` (≥ 1.5 s) after the reply. With AOF off nothing is
 * ever durable across a Redis crash: we warn loudly and confirm after the reply.
 * Confirmations are released strictly in LSN order and never go backwards.
 */
export type AofMode = 'always' | 'everysec' | 'no' | 'off' | 'unknown';

export interface DurabilityPolicy {
  mode: AofMode;
  holdBackMs: number;
  warning?: string;
}

export const EVERYSEC_HOLD_BACK_MS = 1500;

async function configGet(client: { config(...args: string[]): Promise<unknown> }, name: string): Promise<string> {
  const reply = (await client.config('GET', name)) as string[];
  return reply[1] ?? '';
}

async function modeOf(client: { config(...args: string[]): Promise<unknown> }): Promise<AofMode> {
  try {
    if ((await configGet(client, 'appendonly')) !== 'yes') return 'off';
    const fsync = await configGet(client, 'appendfsync');
    return fsync === 'always' || fsync === 'everysec' || fsync === 'no' ? fsync : 'unknown';
  } catch {
    return 'unknown';
  }
}

const STRENGTH: Record<AofMode, number> = { always: 4, everysec: 3, unknown: 2, no: 1, off: 0 };

export async function detectDurability(redis: RedisClient): Promise<DurabilityPolicy> {
  const clients = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const modes = await Promise.all(clients.map((c) => modeOf(c)));
  const mode = modes.reduce((weakest, m) => (STRENGTH[m] < STRENGTH[weakest] ? m : weakest), 'always' as AofMode);
  switch (mode) {
    case 'always':
      return { mode, holdBackMs: 0 };
    case 'everysec':
    case 'unknown':
      return { mode, holdBackMs: EVERYSEC_HOLD_BACK_MS };
    case 'no':
    case 'off':
      return {
        mode,
        holdBackMs: EVERYSEC_HOLD_BACK_MS,
        warning:
          `Redis AOF is ${mode === 'off' ? 'disabled' : 'not fsynced (appendfsync no)'}: the change log is NOT durable ` +
          `across a Redis crash and events confirmed to PostgreSQL can be lost. Set appendonly yes and appendfsync always (or everysec).`,
      };
  }
}

/**
 * Releases confirmations in order once they are durable under the policy. `durable(lsn)` is called
 * right after the append covering `lsn` resolved; `confirm` runs when that LSN may be confirmed.
 */
export class ConfirmationGate {
  private readonly pending: { lsn: Lsn; at: number }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private highest: Lsn = 0n;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly holdBackMs: number,
    private readonly confirm: (lsn: Lsn) => void,
    private readonly now: () => number = Date.now,
  ) {}

  durable(lsn: Lsn): void {
    if (lsn <= this.highest || (this.pending.length && lsn <= this.pending[this.pending.length - 1].lsn)) return;
    if (this.holdBackMs === 0) {
      this.release(lsn);
      return;
    }
    this.pending.push({ lsn, at: this.now() + this.holdBackMs });
    this.schedule();
  }

  /** Confirmed so far (0n before the first). */
  get confirmed(): Lsn {
    return this.highest;
  }

  /** Resolves once everything passed to durable() has been confirmed (waits out the hold-back). */
  drain(): Promise<void> {
    if (this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Drops pending confirmations (e.g. the stream was lost); they will be re-sent by the source. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.length = 0;
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private schedule(): void {
    if (this.timer || this.pending.length === 0) return;
    const delay = Math.max(0, this.pending[0].at - this.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = this.now();
      let ready: Lsn | null = null;
      while (this.pending.length && this.pending[0].at <= now) ready = this.pending.shift()!.lsn;
      if (ready !== null) this.release(ready);
      if (this.pending.length === 0) for (const waiter of this.waiters.splice(0)) waiter();
      this.schedule();
    }, delay);
  }

  private release(lsn: Lsn): void {
    if (lsn <= this.highest) return;
    this.highest = lsn;
    this.confirm(lsn);
  }
}
