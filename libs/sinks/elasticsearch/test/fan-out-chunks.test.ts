import { afterAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '@distributary/changelog';
import type { Row } from '@distributary/core';
import { silentLogger } from '@distributary/observability';
import { redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import { FanOutChunks, type FanOutChunk } from '../src/fan-out/fan-out-chunks';
import { FanOutDrainer } from '../src/fan-out/fan-out-drainer';
import { FanOutStore } from '../src/fan-out/fan-out-store';

/**
 * One pass's chunks are shared by every worker's drainer (real Redis; the roots are plain keys and a
 * chunk's "write" is recorded, so each case can hold a drainer exactly where it needs it): a second
 * worker writes chunks of the pass the lock holder planned, and a chunk claimed by a worker that died
 * is written by another once its claim ran out; the pass is complete only when every chunk is written.
 */
const redis: RedisClient = connectRedis({ url: redisUrl() });
const namespace = uniqueName('fanout_chunks');
const ROOTS = 40;
const PAGE = 20;
const CHUNK = 4;
const drainers: FanOutDrainer[] = [];
const stores: FanOutStore[] = [];

/** A queue of its own per case, with one pass of ROOTS roots marked at `version`. */
async function queue(sink: string, version: number): Promise<{ store: FanOutStore; chunks: FanOutChunks }> {
  const store = new FanOutStore(redis, namespace, sink);
  stores.push(store);
  const event = { pos: { lsn: BigInt(version), seq: 0 }, op: 'u' as const, table: 'public.c', key: { id: 1 } };
  await store.mark([{ condition: { columns: ['c'], tuple: { c: 1 } }, version, event }]);
  return { store, chunks: new FanOutChunks(redis, store.keys) };
}

/** Lists the roots 1..ROOTS in key order, PAGE a page, CHUNK a chunk (as planFanOutPass does). */
async function planAll(
  after: Row | undefined,
  list: (chunks: Row[][], cursor: { after?: Row; planned: boolean }) => Promise<boolean>,
): Promise<boolean> {
  let next = after ? Number(after.id) + 1 : 1;
  for (;;) {
    const keys = Array.from({ length: Math.min(PAGE, ROOTS - next + 1) }, (_, i) => ({ id: next + i }));
    const chunks: Row[][] = [];
    for (let i = 0; i < keys.length; i += CHUNK) chunks.push(keys.slice(i, i + CHUNK));
    next += keys.length;
    const planned = keys.length < PAGE;
    if (!(await list(chunks, { after: keys[keys.length - 1] ?? after, planned }))) return false;
    if (planned) return true;
  }
}

function drainer(
  store: FanOutStore,
  chunks: FanOutChunks,
  owner: string,
  writeChunk: (chunk: FanOutChunk) => Promise<number>,
): FanOutDrainer {
  const made = new FanOutDrainer({
    sink: store.keys.dirty,
    store,
    chunks,
    owner,
    logger: silentLogger,
    pollMs: 20,
    lockTtlMs: 5_000,
    planPass: (pass, list) => planAll(pass.after, list),
    writeChunk,
  });
  drainers.push(made);
  made.start();
  return made;
}

afterAll(async () => {
  for (const d of drainers) await d.stop();
  for (const { keys } of stores) await redis.del(...Object.values(keys));
  redis.disconnect();
});

describe('elasticsearch sink: a fan-out pass shared by several workers', () => {
  it('a second worker writes chunks of the pass the lock holder planned; every root once, then it completes', async () => {
    const { store, chunks } = await queue('shared', 100);
    const written: { owner: string; ids: number[] }[] = [];
    let secondWrote!: () => void;
    const second = new Promise<void>((resolve) => (secondWrote = resolve));
    // the lock holder writes nothing until the second worker wrote a chunk: the second must take some
    drainer(store, chunks, 'a', async (chunk) => {
      await second;
      written.push({ owner: 'a', ids: chunk.keys.map((k) => Number(k.id)) });
      return chunk.keys.length;
    });
    await waitFor('a to hold the drainer lock', async () => (await redis.get(store.keys.lock)) === 'a');
    drainer(store, chunks, 'b', async (chunk) => {
      expect(chunk.version).toBe(100);
      written.push({ owner: 'b', ids: chunk.keys.map((k) => Number(k.id)) });
      secondWrote();
      return chunk.keys.length;
    });
    await waitFor('the pass to complete', async () => (await redis.zcard(store.keys.dirty)) === 0);
    const ids = written.flatMap((w) => w.ids).sort((x, y) => x - y);
    expect(ids).toEqual(Array.from({ length: ROOTS }, (_, i) => i + 1));
    expect(written.filter((w) => w.owner === 'b').length).toBeGreaterThan(0);
    expect(written.filter((w) => w.owner === 'a').length).toBeGreaterThan(0);
    expect(await chunks.size()).toBe(0);
    expect(await redis.hlen(store.keys.passes)).toBe(0);
    expect(await redis.hget(store.keys.state, 'roots')).toBe(String(ROOTS));
  });

  it('a chunk claimed by a worker that died is written by another once the claim ran out; not complete before', async () => {
    const { store, chunks } = await queue('orphan', 200);
    // plan the whole pass as a planner that then dies, holding one chunk it had claimed for 300 ms
    const pending = await store.pending(1);
    await planAll(undefined, async (list, cursor) => {
      await chunks.list(pending[0].member, 200, list, { ...cursor, version: 200 });
      return true;
    });
    const orphan = await chunks.claim(300);
    if (typeof orphan === 'number') throw new Error('no chunk to claim');
    const written: number[] = [];
    let owedAtOrphan: number | undefined;
    drainer(store, chunks, 'c', async (chunk) => {
      if (chunk.id === orphan.id) owedAtOrphan = await redis.zcard(store.keys.dirty);
      written.push(...chunk.keys.map((k) => Number(k.id)));
      return chunk.keys.length;
    });
    await waitFor('the pass to complete', async () => (await redis.zcard(store.keys.dirty)) === 0);
    expect(owedAtOrphan).toBe(1); // the pass was still owed when the orphaned chunk was written
    expect(written.sort((x, y) => x - y)).toEqual(Array.from({ length: ROOTS }, (_, i) => i + 1));
    expect(await chunks.size()).toBe(0);
    expect(await redis.hlen(store.keys.claims)).toBe(0);
  });
});
