import type { RedisClient } from '@distributary/changelog';

/** Rows done / estimated total, rows/s and ETA — what the CLI bar, metrics and the admin API show. */
export interface SnapshotProgress {
  rowsDone: number;
  estimatedTotal: number;
  rowsPerSecond: number;
  etaSeconds: number | null;
}

export function computeProgress(
  rowsDone: number,
  estimatedTotal: number,
  startedAtMs: number,
  nowMs = Date.now(),
): SnapshotProgress {
  const elapsed = Math.max(0.001, (nowMs - startedAtMs) / 1000);
  const rate = rowsDone / elapsed;
  const total = Math.max(estimatedTotal, rowsDone);
  return {
    rowsDone,
    estimatedTotal: total,
    rowsPerSecond: Math.round(rate),
    etaSeconds: rate > 0 ? Math.round((total - rowsDone) / rate) : null,
  };
}

/** A Redis hash of string fields, read and written as a whole or field by field. */
export class HashRecord {
  constructor(
    private readonly redis: RedisClient,
    readonly key: string,
  ) {}

  async read(): Promise<Record<string, string>> {
    return this.redis.hgetall(this.key);
  }

  async write(fields: Record<string, string | number>): Promise<void> {
    const flat = Object.entries(fields).flatMap(([k, v]) => [k, String(v)]);
    if (flat.length) await this.redis.hset(this.key, ...flat);
  }

  async clear(): Promise<void> {
    await this.redis.del(this.key);
  }
}
