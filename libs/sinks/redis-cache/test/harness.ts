/**
 * Shared test harness: the two real targets (single Redis, 3-node cluster), change-event builders,
 * and cacheSuite(), which gives each test a fresh key prefix, opens sinks under it and deletes
 * every key under it afterwards (on every cluster master).
 */
import Redis, { Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { redisCacheSinkSchema } from '@distributary/config';
import { positionToId, type ChangeEvent, type Row, type SinkBatch } from '@distributary/core';
import { clusterNodes, redisUrl, uniqueName } from '@distributary/testkit';
import { createRedisCacheSink, type RedisCacheSink } from '../src';

export type Client = Redis | Cluster;

export interface Target {
  name: string;
  redis(): { url: string } | { cluster: string[] };
  client(): Client;
}

export const targets: Target[] = [
  {
    name: 'single Redis',
    redis: () => ({ url: redisUrl() }),
    client: () => new Redis(redisUrl()),
  },
  {
    name: '3-node Redis Cluster',
    redis: () => ({ cluster: clusterNodes().map((n) => `redis://${n.host}:${n.port}`) }),
    client: () => new Cluster(clusterNodes()),
  },
];

export const TABLE = 'public.products';

/** A change event on public.products keyed by id, at LSN `lsn` (seq 0 unless given). */
export function ev(
  op: ChangeEvent['op'],
  lsn: number,
  row: Row,
  extra: Partial<ChangeEvent> & { seq?: number } = {},
): ChangeEvent {
  const { seq = 0, ...rest } = extra;
  return {
    pos: { lsn: BigInt(lsn), seq },
    op,
    table: TABLE,
    key: { id: row.id },
    commitTs: new Date().toISOString(),
    ...(op === 'd' ? {} : { after: row }),
    ...rest,
  };
}

let batches = 0;
export function batch(events: ChangeEvent[], partition = 0): SinkBatch {
  return {
    sink: 'test',
    partition,
    events,
    lastId: positionToId(events[events.length - 1].pos),
    fencingToken: ++batches,
  };
}

/** [member, score, member, score...] as a sorted list of pairs, to compare sets. */
export function pairs(flat: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push(`${flat[i]}=${flat[i + 1]}`);
  return out.sort();
}

export async function keysMatching(client: Client, pattern: string): Promise<string[]> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const found: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  return found;
}

export interface CacheSuite {
  readonly client: Client;
  readonly prefix: string;
  /** Opens a product cache sink (key `<prefix>:product:{id}`) with config overrides. */
  open(extra?: Record<string, unknown>): Promise<RedisCacheSink>;
  /** The parsed JSON cached for product `id`, or null. */
  get(id: number | string): Promise<unknown>;
  /** The key of query group `<prefix>:category:<n>:products`. */
  group(category: number): string;
  /** Cleans up and moves to a fresh prefix (for several scenarios inside one test). */
  renew(prefixBase: string): Promise<void>;
}

export function cacheSuite(target: Target): CacheSuite {
  let client: Client;
  let prefix = '';
  const sinks: RedisCacheSink[] = [];

  const cleanUp = async (): Promise<void> => {
    for (const sink of sinks.splice(0)) await sink.close();
    if (prefix) for (const key of await keysMatching(client, `*${prefix}*`)) await client.del(key);
  };

  beforeAll(async () => {
    client = target.client();
    await client.ping();
  });
  beforeEach(() => {
    prefix = uniqueName('rc');
  });
  afterEach(cleanUp);
  afterAll(async () => {
    await client.quit();
  });

  return {
    get client() {
      return client;
    },
    get prefix() {
      return prefix;
    },
    async open(extra = {}) {
      const config = redisCacheSinkSchema.parse({
        name: 'product-cache',
        redis: target.redis(),
        from: 'products',
        key: `${prefix}:product:{id}`,
        namespace: `${prefix}:state${sinks.length || ''}`,
        ...extra,
      });
      const sink = createRedisCacheSink(config);
      sinks.push(sink);
      await sink.open();
      return sink;
    },
    async get(id) {
      const text = await client.get(`${prefix}:product:${id}`);
      return text === null ? null : JSON.parse(text);
    },
    group: (category) => `${prefix}:category:${category}:products`,
    async renew(prefixBase) {
      await cleanUp();
      prefix = uniqueName(prefixBase);
    },
  };
}
