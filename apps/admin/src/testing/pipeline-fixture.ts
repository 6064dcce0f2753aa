import {
  encodeEvent,
  partitionFor,
  type ApplyResult,
  type ChangeEvent,
  type Sink,
  type SinkBatch,
} from '@distributary/core';
import { configSchema, type DistributaryConfig } from '@distributary/config';
import type { LogKeys, RedisClient } from '@distributary/changelog';

/** Test support: a config for a throw-away namespace, events appended as the connector appends them,
 *  and a small real Sink that writes what it applies into Redis (used to replay dead letters). */
export const VIEWER_TOKEN = 'viewer-token-for-tests';
export const OPERATOR_TOKEN = 'operator-token-for-tests';

export function testConfig(options: {
  namespace: string;
  pgUrl: string;
  redisUrl: string;
  slot: string;
  partitions?: number;
  sinks?: string[];
  cacheUrl?: string;
}): DistributaryConfig {
  return configSchema.parse({
    source: {
      postgres: { url: options.pgUrl, slot: options.slot, publication: options.slot },
      tables: ['public.products'],
    },
    log: { redis: { url: options.redisUrl }, namespace: options.namespace, partitions: options.partitions ?? 2 },
    sinks: (options.sinks ?? ['product-cache']).map((name) => ({
      name,
      redis: { url: options.cacheUrl ?? options.redisUrl },
      from: 'public.products',
      key: 'product:{id}',
    })),
    admin: {
      tokens: [
        { token: VIEWER_TOKEN, role: 'viewer' },
        { token: OPERATOR_TOKEN, role: 'operator' },
      ],
    },
  });
}

let nextLsn = 1_000_000n;

/** Product events with increasing commit LSNs, commitTs `ageMs` in the past. */
export function productEvents(count: number, options: { ageMs?: number; reject?: boolean } = {}): ChangeEvent[] {
  const commitTs = new Date(Date.now() - (options.ageMs ?? 0)).toISOString().replace('Z', '000Z');
  return Array.from({ length: count }, (_, i) => {
    nextLsn += 100n;
    const id = String(Number(nextLsn % 100_000n) + i);
    return {
      pos: { lsn: nextLsn, seq: 0 },
      op: 'c',
      table: 'public.products',
      key: { id },
      after: { id, name: `product ${id}`, price: '9.99', ...(options.reject ? { reject: true } : {}) },
      commitTs,
      xid: Number(nextLsn % 1_000_000n),
    };
  });
}

/** Appends events to their partitions exactly as the connector does (XADD with the position ID). */
export async function appendEvents(
  redis: RedisClient,
  keys: LogKeys,
  partitions: number,
  events: ChangeEvent[],
): Promise<Map<number, string>> {
  const last = new Map<number, string>();
  for (const event of events) {
    const partition = partitionFor(event.table, event.key, partitions);
    const { id, fields } = encodeEvent(event);
    await redis.xadd(keys.partition(partition), id, ...Object.entries(fields).flat());
    last.set(partition, id);
  }
  return last;
}

/** A real sink into Redis: HSET <appliedKey> <key> <row>; while `rejecting`, rows flagged `reject`
 *  are rejected (as a sink rejects a value its target refuses, until someone fixes the target). */
export class RecordingSink implements Sink {
  readonly kind = 'redis';
  readonly tables = ['public.products'];
  rejecting = true;

  constructor(
    readonly name: string,
    private readonly redis: RedisClient,
    readonly appliedKey: string,
  ) {}

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async apply(batch: SinkBatch): Promise<ApplyResult> {
    const result: ApplyResult = { applied: 0, skippedAsStale: 0, rejected: [] };
    for (const event of batch.events) {
      if (this.rejecting && event.after?.reject === true) {
        result.rejected.push({ event, error: 'value out of range for column "price"' });
        continue;
      }
      await this.redis.hset(this.appliedKey, JSON.stringify(event.key), JSON.stringify(event.after ?? null));
      result.applied++;
    }
    return result;
  }
}
