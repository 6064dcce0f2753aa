import Redis from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisCacheSinkSchema } from '@distributary/config';
import { redisUrl, uniqueName } from '@distributary/testkit';
import { createRedisCacheSink, type RedisCacheSink } from '../src';
import { TABLE, batch, ev, keysMatching } from './harness';

/**
 * Two pipelines with a cache sink of the same name on one Redis: the row records default to
 * `distributary:<pipeline>:<sink>` (they used to share `distributary:<sink>`), and the namespace carries
 * an owner marker, so a sink of another pipeline configured onto it refuses to open.
 */
const client = new Redis(redisUrl());
const prefix = uniqueName('rc_pipes');
const sinks: RedisCacheSink[] = [];

afterAll(async () => {
  for (const sink of sinks) await sink.close();
  for (const key of await keysMatching(client, `*${prefix}*`)) await client.del(key);
  client.disconnect();
});

async function open(pipeline: string, extra: Record<string, unknown> = {}): Promise<RedisCacheSink> {
  const sink = createRedisCacheSink(
    redisCacheSinkSchema.parse({
      name: 'product-cache',
      redis: { url: redisUrl() },
      from: 'products',
      key: `${prefix}:${pipeline}:product:{id}`,
      ...extra,
    }),
    { pipeline },
  );
  sinks.push(sink);
  await sink.open();
  return sink;
}

describe('redis cache sinks of two pipelines', () => {
  it('keep their row records apart by default, and refuse a namespace another pipeline owns', async () => {
    const a = `${prefix}_a`;
    const b = `${prefix}_b`;
    await (await open(a)).apply(batch([ev('c', 100, { id: 1, name: 'from a' })]));
    await (await open(b)).apply(batch([ev('c', 100, { id: 1, name: 'from b' })]));
    expect(await client.hget(`distributary:${a}:product-cache:row:${TABLE}:[["id",1]]`, 'k')).toBe(
      `${prefix}:${a}:product:1`,
    );
    expect(await client.hget(`distributary:${b}:product-cache:row:${TABLE}:[["id",1]]`, 'k')).toBe(
      `${prefix}:${b}:product:1`,
    );
    expect(await client.get(`distributary:${a}:product-cache:owner`)).toBe(`${a}/product-cache`);

    await expect(open(b, { namespace: `distributary:${a}:product-cache` })).rejects.toThrow(
      `sink product-cache (pipeline ${b}) refuses to keep its row records under distributary:${a}:product-cache: ` +
        `it belongs to ${a}/product-cache`,
    );
  });
});
