/**
 * What a gateway publishes about itself for the admin API and the dashboard (like workers do): one
 * JSON field per instance in keys.gatewayStatuses(), rewritten every STATUS_EVERY_MS; readers skip
 * entries older than STALE_MS and the writer removes them. Numbers cover the last interval.
 */
import { hostname } from 'node:os';
import type { LogKeys, RedisClient } from '@distributary/changelog';

export interface GatewayStatus {
  instanceId: string;
  host: string;
  pid: number;
  startedAt: string;
  updatedAt: string;
  subscribers: number;
  /** Change events written to clients per second over the last interval. */
  deliveredPerSecond: number;
  /** Source commit → written to the client, over the last interval (null without deliveries). */
  lagP50Ms: number | null;
  lagP99Ms: number | null;
  /** Streams cut for not reading fast enough (`lagging`), since start. */
  drops: number;
}

export const STATUS_EVERY_MS = 5000;
const STALE_MS = 30_000;
const MAX_SAMPLES = 20_000;

/** Process-wide counters the subscribers feed (reset at each publication). */
export class DeliveryStats {
  delivered = 0;
  drops = 0;
  private lags: number[] = [];

  recordDelivery(lagMs: number | undefined, changes = 1): void {
    this.delivered += changes;
    if (lagMs !== undefined && this.lags.length < MAX_SAMPLES) this.lags.push(lagMs);
  }

  /** The interval's delivered count and lag percentiles; starts a new interval. */
  take(): { delivered: number; p50: number | null; p99: number | null } {
    const lags = this.lags.sort((a, b) => a - b);
    const at = (p: number) =>
      lags.length ? lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))] : null;
    const result = { delivered: this.delivered, p50: at(50), p99: at(99) };
    this.delivered = 0;
    this.lags = [];
    return result;
  }
}

export const deliveryStats = new DeliveryStats();

export function newGatewayStatus(
  subscribers: number,
  intervalMs: number,
  startedAt: string,
  instanceId: string,
): GatewayStatus {
  const { delivered, p50, p99 } = deliveryStats.take();
  return {
    instanceId,
    host: hostname(),
    pid: process.pid,
    startedAt,
    updatedAt: new Date().toISOString(),
    subscribers,
    deliveredPerSecond: Math.round((delivered / Math.max(1, intervalMs)) * 1000 * 10) / 10,
    lagP50Ms: p50 === null ? null : Math.round(p50),
    lagP99Ms: p99 === null ? null : Math.round(p99),
    drops: deliveryStats.drops,
  };
}

export async function writeGatewayStatus(redis: RedisClient, keys: LogKeys, status: GatewayStatus): Promise<void> {
  await redis.hset(keys.gatewayStatuses(), status.instanceId, JSON.stringify(status));
  const stale = (await readAll(redis, keys)).filter((s) => isStale(s));
  if (stale.length) await redis.hdel(keys.gatewayStatuses(), ...stale.map((s) => s.instanceId));
}

export async function removeGatewayStatus(redis: RedisClient, keys: LogKeys, instanceId: string): Promise<void> {
  await redis.hdel(keys.gatewayStatuses(), instanceId);
}

/** The live gateways' statuses, by instance id. */
export async function readGatewayStatuses(redis: RedisClient, keys: LogKeys): Promise<GatewayStatus[]> {
  return (await readAll(redis, keys))
    .filter((s) => !isStale(s))
    .sort((a, b) => a.instanceId.localeCompare(b.instanceId));
}

async function readAll(redis: RedisClient, keys: LogKeys): Promise<GatewayStatus[]> {
  const hash = await redis.hgetall(keys.gatewayStatuses());
  const statuses: GatewayStatus[] = [];
  for (const value of Object.values(hash)) {
    try {
      statuses.push(JSON.parse(value) as GatewayStatus);
    } catch {
      // a malformed entry is skipped (it goes stale and is removed)
    }
  }
  return statuses;
}

function isStale(status: GatewayStatus): boolean {
  const updated = Date.parse(status.updatedAt);
  return !Number.isFinite(updated) || Date.now() - updated > STALE_MS;
}
